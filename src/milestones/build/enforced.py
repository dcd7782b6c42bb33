"""Data tests that the warehouse's own constraints already guarantee (docs/orchestration.md, "Tests of
what the build wrote").

A mart under an enforced dbt contract is created with its constraints. DuckDB and PostgreSQL check
them on every row written: a null in a `not null` column, or a second row with the same primary or
unique key, fails the model itself. A `not_null` or `unique` test of such a column can never fail
after it. The constraints are read from the warehouse's catalog, not from the project's YAML: a view
(fct_events) holds none, Spark's Parquet tables hold none, and a constraint dropped by hand is not
trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from milestones.build.dbt import names_selecting_one_node
from milestones.warehouse import DuckDBWarehouse, PostgresWarehouse, resolve

# the generic tests a constraint implies, and the argument that names their column(s)
NOT_NULL_TESTS = {"not_null": "column_name"}
UNIQUE_TESTS = {"unique": "column_name", "unique_in_new_rows": "column_name", "unique_combination": "columns"}

Table = tuple[str, str]  # (schema, table), lower case


@dataclass(frozen=True)
class Constraints:
    """What the catalog guarantees: the columns that cannot be null and the keys that cannot repeat."""

    not_null: frozenset[tuple[Table, str]]
    unique_keys: frozenset[tuple[Table, frozenset[str]]]


NO_CONSTRAINTS = Constraints(frozenset(), frozenset())

_DUCKDB_CONSTRAINTS = """
select schema_name, table_name, constraint_type, constraint_column_names
from duckdb_constraints()
where
    database_name = current_database()
    and constraint_type in ('NOT NULL', 'PRIMARY KEY', 'UNIQUE')
    and lower(schema_name) in ({schemas})
"""

_POSTGRES_NOT_NULL = """
select table_schema, table_name, 'NOT NULL', array[column_name::text]
from information_schema.columns
where is_nullable = 'NO' and lower(table_schema) in ({schemas})
"""

_POSTGRES_KEYS = """
select keys.table_schema, keys.table_name, keys.constraint_type, array_agg(used.column_name::text)
from information_schema.table_constraints as keys
inner join information_schema.key_column_usage as used
    on
        used.constraint_schema = keys.constraint_schema
        and used.constraint_name = keys.constraint_name
        and used.table_name = keys.table_name
where keys.constraint_type in ('PRIMARY KEY', 'UNIQUE') and lower(keys.table_schema) in ({schemas})
group by keys.table_schema, keys.table_name, keys.constraint_name, keys.constraint_type
"""


def read_constraints(schemas: Iterable[str], target: str | None = None) -> Constraints:
    """The not-null columns and unique keys of the tables in `schemas` (none on Spark)."""
    wanted = sorted({schema.lower() for schema in schemas})
    warehouse = resolve(target)
    if not wanted or not isinstance(warehouse, DuckDBWarehouse | PostgresWarehouse):
        return NO_CONSTRAINTS
    if isinstance(warehouse, DuckDBWarehouse):
        queries, placeholder = [_DUCKDB_CONSTRAINTS], "?"
    else:
        queries, placeholder = [_POSTGRES_NOT_NULL, _POSTGRES_KEYS], "%s"
    placeholders = ", ".join(placeholder for _ in wanted)
    rows: list[tuple[Any, ...]] = []
    connection = warehouse.connect(read_only=True)
    try:
        cursor = connection.cursor()
        for query in queries:
            cursor.execute(query.format(schemas=placeholders), wanted)
            rows += cursor.fetchall()
    finally:
        connection.close()
    return constraints_from_rows(rows)


def constraints_from_rows(rows: Iterable[tuple[str, str, str, list[str]]]) -> Constraints:
    """Catalog rows (schema, table, 'NOT NULL' | 'PRIMARY KEY' | 'UNIQUE', columns) as Constraints.
    A primary key's columns cannot be null either."""
    not_null: set[tuple[Table, str]] = set()
    unique_keys: set[tuple[Table, frozenset[str]]] = set()
    for schema, table, kind, columns in rows:
        where = (schema.lower(), table.lower())
        names = frozenset(column.lower() for column in columns)
        if kind == "NOT NULL" or kind == "PRIMARY KEY":
            not_null.update((where, name) for name in names)
        if kind in {"PRIMARY KEY", "UNIQUE"}:
            unique_keys.add((where, names))
    return Constraints(frozenset(not_null), frozenset(unique_keys))


def guaranteed_tests(manifest: dict[str, Any], constraints: Constraints) -> list[str]:
    """The names of the `not_null` and `unique` tests of model columns that the constraints cover.
    A name that would select other nodes too is never returned (names_selecting_one_node)."""
    nodes: dict[str, dict[str, Any]] = manifest.get("nodes", {})
    selectable = names_selecting_one_node(manifest)
    return sorted(
        node["name"]
        for node in nodes.values()
        if node.get("resource_type") == "test"
        and node["name"] in selectable
        and _is_guaranteed(node, nodes.get(node.get("attached_node") or ""), constraints)
    )


def schemas_of_tested_models(manifest: dict[str, Any]) -> set[str]:
    """The schemas of the models that tests are attached to: where read_constraints looks."""
    nodes: dict[str, dict[str, Any]] = manifest.get("nodes", {})
    attached = {node.get("attached_node") for node in nodes.values() if node.get("resource_type") == "test"}
    return {nodes[unique_id]["schema"] for unique_id in attached if unique_id in nodes}


def _is_guaranteed(test: dict[str, Any], model: dict[str, Any] | None, constraints: Constraints) -> bool:
    if model is None or model.get("resource_type") != "model":
        return False
    metadata = test.get("test_metadata") or {}
    name, kwargs = metadata.get("name"), metadata.get("kwargs") or {}
    table = (str(model.get("schema", "")).lower(), str(model.get("alias") or model.get("name", "")).lower())
    if name in NOT_NULL_TESTS:
        column = kwargs.get(NOT_NULL_TESTS[name])
        return isinstance(column, str) and (table, column.lower()) in constraints.not_null
    if name in UNIQUE_TESTS:
        columns = kwargs.get(UNIQUE_TESTS[name])
        names = [columns] if isinstance(columns, str) else columns
        if not isinstance(names, list) or not names or not all(isinstance(each, str) for each in names):
            return False
        key = frozenset(each.lower() for each in names)
        # dbt's `unique` skips nulls, as a unique key does; a combination's test also counts rows
        # whose nulls match, which only a key of not-null columns (a primary key) rules out
        nulls_ruled_out = name != "unique_combination" or all(
            (table, each) in constraints.not_null for each in key
        )
        return (table, key) in constraints.unique_keys and nulls_ruled_out
    return False
