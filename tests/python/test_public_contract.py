"""The public surface of docs/rules.md, pinned by the project's own tests: seed headers, table names and
columns, and the values BI and reverse-ETL tools rely on."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

import truth_checks
from conftest import SAMPLE_END, environment
from milestones import user_seeds
from milestones.build.dbt import run_dbt
from milestones.load.landing import RAW_TABLES
from milestones.paths import PROJECT_DIR
from milestones.rules import contract_reasons

SEED_HEADERS = {
    "tracking_plan_events.csv": ["event_name", "status", "owner", "description"],
    "tracking_plan_properties.csv": [
        "event_name", "property", "type", "required", "allowed_values", "description",
    ],
    "milestones.csv": [
        "segment", "milestone_id", "sequence", "name", "description", "depends_on",
        "target_days", "weight", "playbook",
    ],
    "milestone_criteria.csv": [
        "segment", "milestone_id", "criterion_id", "event_name", "filter_property", "filter_values",
        "measure", "distinct_property", "group_by_property", "threshold",
    ],
}  # fmt: skip

TABLE_COLUMNS = {
    "fct_events": ["event_id", "account_id", "user_id", "event_name", "occurred_at"],
    "fct_event_contract_violations": ["reason"],
    "fct_landing_row_violations": [
        "raw_row_id", "file_kind", "reason", "reason_detail", "is_quarantined", "raw_record", "load_id",
        "file_name", "file_row_number",
    ],
    "fct_account_milestones": [
        "account_id", "segment", "milestone_id", "sequence", "status", "completed_at",
        "completion_source", "days_from_signup", "days_from_previous", "is_stalled", "days_overdue",
    ],
    "dim_account_milestone_status": ["account_id", "segment"],
    "mart_intervention_queue": ["account_id", "milestone_id", "target_days", "days_overdue", "playbook"],
    "mart_segment_milestone_baselines": ["segment", "milestone_id", "target_days"],
}  # fmt: skip


@pytest.mark.parametrize("seed_name", sorted(SEED_HEADERS))
def test_seed_headers_are_the_documented_ones(seed_name: str) -> None:
    with (PROJECT_DIR / "seeds" / seed_name).open(newline="") as seed:
        assert next(csv.reader(seed)) == SEED_HEADERS[seed_name]
    assert user_seeds.SEED_HEADERS[seed_name] == SEED_HEADERS[seed_name], "and Python reads those columns"


def test_landing_columns_are_those_dbt_declares() -> None:
    """The loader's raw columns (docs/rules.md §3) are the columns of dbt's landing sources."""
    sources = yaml.safe_load((PROJECT_DIR / "models/staging/landing/_landing__sources.yml").read_text())
    (landing,) = sources["sources"]
    declared = {
        table["name"]: tuple(column["name"] for column in table["columns"])
        for table in landing["tables"]
        if "columns" in table
    }
    assert declared == RAW_TABLES


def _columns(connection: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = connection.execute(
        "select column_name from information_schema.columns"
        " where table_schema = 'main_marts' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    return [name for (name,) in rows]


@pytest.mark.parametrize("table", sorted(TABLE_COLUMNS))
def test_tables_carry_the_documented_columns(built_duckdb: Path, table: str) -> None:
    with duckdb.connect(str(built_duckdb), read_only=True) as connection:
        columns = _columns(connection, table)
    assert columns, f"{table} was not built"
    assert [name for name in TABLE_COLUMNS[table] if name not in columns] == []


def test_values_are_the_documented_ones(built_duckdb: Path) -> None:
    with duckdb.connect(str(built_duckdb), read_only=True) as connection:
        reasons = {
            r
            for (r,) in connection.execute(
                "select distinct reason from main_marts.fct_event_contract_violations"
            ).fetchall()
        }
        statuses = {
            s
            for (s,) in connection.execute(
                "select distinct status from main_marts.fct_account_milestones"
            ).fetchall()
        }
        sources = {
            s
            for (s,) in connection.execute(
                "select distinct completion_source from main_marts.fct_account_milestones"
                " where completion_source is not null"
            ).fetchall()
        }
    # the sample is generated dirty on purpose: every reason occurs
    assert reasons == set(contract_reasons())
    assert statuses == {"completed", "active", "pending"}
    assert sources == {"product", "csm"}


def test_quarantine_matches_the_generator_s_ground_truth(built_duckdb: Path, sample_landing: Path) -> None:
    """The generator records each dirty row's intended rule; the contract must find exactly those."""
    by_reason, made, valid, written = truth_checks.quarantine_against_manifest(built_duckdb, sample_landing)
    assert by_reason == made
    assert valid == written


def test_account_milestones_match_the_generator_s_ground_truth(
    built_duckdb: Path, sample_landing: Path
) -> None:
    """completed_at, completion_source, status and stalls per account and milestone, as the truth has
    them (stalls against the threshold the build uses: peers' p75 where segment_settings asks for it)."""
    mismatches = truth_checks.account_milestone_mismatches(
        built_duckdb, sample_landing, PROJECT_DIR / "seeds", SAMPLE_END, threshold="built"
    )
    assert truth_checks.describe(mismatches) == ""


@pytest.fixture(scope="module")
def parsed_manifest(dbt_artifacts: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """dbt's manifest from a parse alone (no warehouse), in a target folder of its own."""
    target = tmp_path_factory.mktemp("parse") / "target"
    with environment(DBT_TARGET_PATH=str(target)):
        outcome = run_dbt(["parse"])
    assert outcome.success, outcome.failed
    return json.loads((target / "manifest.json").read_text())


def _unconditional_not_null_columns(manifest: dict[str, Any]) -> set[tuple[str, str]]:
    """(model, column) of every not_null test that fails the build everywhere: no where, not a warning."""
    return {
        (test["attached_node"], test["column_name"])
        for test in manifest["nodes"].values()
        if test["resource_type"] == "test"
        and test.get("test_metadata", {}).get("name") == "not_null"
        and test["config"]["enabled"]
        and not test["config"].get("where")
        and test["config"]["severity"].lower() == "error"
    }


def test_table_marts_enforce_their_key_and_not_null_columns(parsed_manifest: dict[str, Any]) -> None:
    """Every mart is under an enforced contract with a primary key; on table marts every column with a
    not_null test is also a not_null constraint, so DuckDB and PostgreSQL refuse a null when the table
    is built. Views are left out: dbt applies no constraint to a view."""
    marts = {
        unique_id: node
        for unique_id, node in parsed_manifest["nodes"].items()
        if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")
    }
    assert marts, "no mart was parsed"
    tables = {
        unique_id: node for unique_id, node in marts.items() if node["config"]["materialized"] == "table"
    }
    assert [node["name"] for node in marts.values() if not node["config"]["contract"]["enforced"]] == []
    without_key = [
        node["name"]
        for node in tables.values()
        if not any(constraint["type"] == "primary_key" for constraint in node["constraints"])
    ]
    assert without_key == []
    unconstrained = sorted(
        f"{tables[unique_id]['name']}.{column}"
        for unique_id, column in _unconditional_not_null_columns(parsed_manifest)
        if unique_id in tables
        and not any(
            constraint["type"] == "not_null"
            for constraint in tables[unique_id]["columns"].get(column, {}).get("constraints", [])
        )
    )
    assert unconstrained == []
