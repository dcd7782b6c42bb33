"""Which data tests the warehouse's constraints guarantee: read from a real DuckDB file and a real
PostgreSQL schema, matched against test nodes shaped as dbt's manifest writes them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psycopg2
import pytest

import services
from conftest import environment
from milestones.build.enforced import guaranteed_tests, read_constraints, schemas_of_tested_models

SCHEMA = "marts"
TABLES = [
    # a primary key, a not-null column, a column with no constraint
    "create table {schema}.accounts "
    "(account_id varchar primary key, segment varchar not null, owner varchar)",
    # a primary key of two columns, and a unique column that may be null
    "create table {schema}.milestones (account_id varchar, milestone_id varchar, crm_id varchar unique, "
    "primary key (account_id, milestone_id))",
    "create view {schema}.events as select account_id as event_id from {schema}.accounts",
]


def _model(name: str) -> tuple[str, dict[str, Any]]:
    return f"model.project.{name}", {"resource_type": "model", "name": name, "alias": name, "schema": SCHEMA}


def _test(name: str, attached: str, test: str, **kwargs: Any) -> tuple[str, dict[str, Any]]:
    metadata = {"name": test, "kwargs": {**kwargs, "model": "{{ ref('x') }}"}}
    node = {"resource_type": "test", "name": name, "attached_node": attached, "test_metadata": metadata}
    return f"test.project.{name}", node


def _manifest() -> dict[str, Any]:
    accounts, milestones, events = (
        "model.project.accounts",
        "model.project.milestones",
        "model.project.events",
    )
    nodes = dict(
        [
            _model("accounts"),
            _model("milestones"),
            _model("events"),
            ("seed.project.segments", {"resource_type": "seed", "name": "segments", "schema": SCHEMA}),
            _test("not_null_accounts_account_id", accounts, "not_null", column_name="account_id"),
            _test("not_null_accounts_segment", accounts, "not_null", column_name="Segment"),
            _test("not_null_accounts_owner", accounts, "not_null", column_name="owner"),
            _test("unique_accounts_account_id", accounts, "unique", column_name="account_id"),
            _test("unique_accounts_segment", accounts, "unique", column_name="segment"),
            _test(
                "key_of_milestones", milestones, "unique_combination", columns=["milestone_id", "account_id"]
            ),
            _test("half_a_key", milestones, "unique_combination", columns=["account_id"]),
            _test("unique_milestones_crm_id", milestones, "unique", column_name="crm_id"),
            # a unique key allows rows whose key is null; this test would count them as a repeat
            _test("combination_of_crm_id", milestones, "unique_combination", columns=["crm_id"]),
            _test("new_event_ids_unique", events, "unique_in_new_rows", column_name="event_id"),
            _test("not_null_segments_segment", "seed.project.segments", "not_null", column_name="segment"),
            _test("accepted_values_accounts_segment", accounts, "accepted_values", column_name="segment"),
        ]
    )
    # a name two nodes share: dbt would select both, so it is never left out
    twin_id, twin = _test("shared_name", accounts, "not_null", column_name="account_id")
    nodes[twin_id] = twin
    nodes["test.other_package.shared_name"] = {**twin, "attached_node": milestones}
    return {"nodes": nodes}


GUARANTEED = [
    "key_of_milestones",
    "not_null_accounts_account_id",
    "not_null_accounts_segment",
    "unique_accounts_account_id",
    "unique_milestones_crm_id",
]


def test_duckdb_constraints_leave_out_the_tests_they_guarantee(tmp_path: Path) -> None:
    import duckdb

    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"create schema {SCHEMA}")
        for statement in TABLES:
            connection.execute(statement.format(schema=SCHEMA))
    manifest = _manifest()
    assert schemas_of_tested_models(manifest) == {SCHEMA}
    with environment(MILESTONES_DUCKDB_PATH=str(database)):
        constraints = read_constraints({SCHEMA}, "duckdb")
        assert guaranteed_tests(manifest, constraints) == GUARANTEED

        # a constraint dropped by hand is not trusted
        with duckdb.connect(str(database)) as connection:
            connection.execute(f"alter table {SCHEMA}.accounts alter column segment drop not null")
        constraints = read_constraints({SCHEMA}, "duckdb")
        assert "not_null_accounts_segment" not in guaranteed_tests(manifest, constraints)


def test_postgres_constraints_leave_out_the_same_tests(postgres: services.Postgres) -> None:
    schema = f"pytest_enforced_{os.getpid()}"
    with psycopg2.connect(**postgres.connect_args()) as connection, connection.cursor() as cursor:
        cursor.execute(f'drop schema if exists "{schema}" cascade')
        cursor.execute(f'create schema "{schema}"')
        for statement in TABLES:
            cursor.execute(statement.format(schema=f'"{schema}"'))
    try:
        manifest = _manifest()
        for node in manifest["nodes"].values():
            node["schema"] = schema
        assert guaranteed_tests(manifest, read_constraints({schema}, "postgres")) == GUARANTEED
    finally:
        with psycopg2.connect(**postgres.connect_args()) as connection, connection.cursor() as cursor:
            cursor.execute(f'drop schema "{schema}" cascade')


def test_spark_holds_no_constraints() -> None:
    assert guaranteed_tests(_manifest(), read_constraints({SCHEMA}, "spark")) == []


@pytest.mark.parametrize("schemas", [set(), {"nothing_here"}])
def test_no_schema_to_read_means_no_constraints(schemas: set[str], tmp_path: Path) -> None:
    import duckdb

    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    with environment(MILESTONES_DUCKDB_PATH=str(database)):
        assert guaranteed_tests(_manifest(), read_constraints(schemas, "duckdb")) == []
