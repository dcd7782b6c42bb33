"""Row counts and column types on the dbt step's materializations (`dagster/row_count`,
`dagster/column_schema`), read from the warehouse once dbt has exited, through one short-lived
connection of `milestones.warehouse` (read-only on DuckDB) for every relation the build wrote.

Not through dagster-dbt's `fetch_row_counts` / `fetch_column_metadata`: they query through a dbt adapter
inside the Dagster process, and dbt-duckdb keeps the database open there in another configuration
than the project's own connections, so the delivery record after the build could not open the file.
The connection here is closed before the first event is yielded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation

from milestones import warehouse as warehouses

Event = (
    dg.Output | dg.AssetMaterialization | dg.AssetObservation | dg.AssetCheckResult | dg.AssetCheckEvaluation
)
# (schema, name), lowercased: how a manifest node and information_schema name the same relation
Key = tuple[str, str]

# resource types whose materialization is a relation in the warehouse
RELATION_TYPES = ("model", "seed", "snapshot")
ROW_COUNT = "dagster/row_count"
COLUMN_SCHEMA = "dagster/column_schema"

COLUMNS_SQL = """
select table_schema, table_name, column_name, data_type
from information_schema.columns
where table_catalog = current_database() and table_schema in ({placeholders})
order by table_schema, table_name, ordinal_position
"""


@dataclass(frozen=True)
class Table:
    schema: str  # as the warehouse spells it
    name: str
    columns: tuple[dg.TableColumn, ...]

    def quoted(self) -> str:
        return ".".join('"' + part.replace('"', '""') + '"' for part in (self.schema, self.name))


def with_table_metadata(invocation: DbtCliInvocation) -> Iterator[Event]:
    """The invocation's events once dbt has exited, each materialization of a model, seed or snapshot
    with its row count and columns. A failed dbt build still raises its error, after its events."""
    events, error = _drain(invocation.stream())
    keys = relation_keys(events, _manifest(invocation))
    metadata = read_table_metadata(set(keys.values()))
    for event in events:
        extra = metadata.get(keys.get(_unique_id(event) or "", ("", "")), {})
        yield event.with_metadata({**event.metadata, **extra}) if extra else event
    if error is not None:
        raise error


def _drain(events: Iterable[Event]) -> tuple[list[Event], Exception | None]:
    """Every event up to the end of the stream, and the error it ended with (dbt's failure is raised
    only once dbt has exited, after its last event)."""
    drained: list[Event] = []
    try:
        drained.extend(events)
    except Exception as error:
        return drained, error
    return drained, None


def _manifest(invocation: DbtCliInvocation) -> Mapping[str, Any]:
    """The manifest this run's dbt wrote (its schemas are the target's), else the definitions' one."""
    try:
        return invocation.get_artifact("manifest.json")
    except (FileNotFoundError, ValueError):
        return invocation.manifest


def _unique_id(event: Event) -> str | None:
    value = event.metadata.get("unique_id")
    return getattr(value, "value", value) if value is not None else None


def relation_keys(events: Sequence[Event], manifest: Mapping[str, Any]) -> dict[str, Key]:
    """unique_id -> relation, for the events that materialize a model, seed or snapshot."""
    nodes = manifest.get("nodes", {})
    keys: dict[str, Key] = {}
    for event in events:
        unique_id = _unique_id(event)
        node = nodes.get(unique_id) if isinstance(event, dg.Output | dg.AssetMaterialization) else None
        if node and node.get("resource_type") in RELATION_TYPES:
            keys[unique_id] = _key(node["schema"], node.get("alias") or node["name"])
    return keys


def _key(schema: str, name: str) -> Key:
    return schema.lower(), name.lower()


def read_table_metadata(keys: set[Key]) -> dict[Key, dict[str, Any]]:
    """Row count and column schema of each relation that is in the warehouse, through one connection.
    Metadata is a nicety: when the warehouse cannot be read, the events go without it (a warning)."""
    if not keys:
        return {}
    warehouse = warehouses.resolve()
    try:
        with contextlib.closing(warehouse.connect(read_only=True)) as connection:
            placeholder = warehouse.placeholder
            tables = _tables(connection, placeholder, sorted({schema for schema, _ in keys}))
            return {key: _metadata(connection, tables[key]) for key in keys if key in tables}
    except Exception as error:
        dg.get_dagster_logger().warning(f"row counts and column types left out: {error}")
        return {}


def _tables(connection: Any, placeholder: str, schemas: Sequence[str]) -> dict[Key, Table]:
    """Every relation of the schemas with its columns in order: one query for all of them."""
    sql = COLUMNS_SQL.format(placeholders=", ".join([placeholder] * len(schemas)))
    columns: dict[tuple[str, str], list[dg.TableColumn]] = {}
    for schema, name, column, data_type in _fetch(connection, sql, list(schemas)):
        columns.setdefault((schema, name), []).append(dg.TableColumn(name=column, type=str(data_type)))
    return {_key(*relation): Table(*relation, tuple(found)) for relation, found in columns.items()}


def _metadata(connection: Any, table: Table) -> dict[str, Any]:
    ((rows,),) = _fetch(connection, f"select count(*) from {table.quoted()}")
    return {
        ROW_COUNT: dg.MetadataValue.int(int(rows)),
        COLUMN_SCHEMA: dg.MetadataValue.table_schema(dg.TableSchema(columns=list(table.columns))),
    }


def _fetch(connection: Any, sql: str, parameters: Sequence[Any] = ()) -> list[tuple]:
    cursor = connection.cursor()
    try:
        cursor.execute(sql, list(parameters) or None)
        return cursor.fetchall()
    finally:
        cursor.close()
