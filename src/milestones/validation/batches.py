"""Reading the datasets the suites validate, as pandas dataframes in batches.

GX 1.x's SQL datasources do not work on DuckDB, so the warehouse is read here with its own driver and
each batch is handed to GX as a dataframe. Event properties are expanded in SQL (one value column and
one JSON-kind column per planned property), so nothing loops over rows in Python. Every value from a
seed (event names, property paths) is a query parameter, never SQL text.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from milestones.validation.suites import TYPE_SUFFIX, Dataset

DEFAULT_BATCH_ROWS = 200_000


def batch_rows() -> int:
    """Rows per batch: MILESTONES_VALIDATION_BATCH_ROWS, default 200,000."""
    return max(1, int(os.environ.get("MILESTONES_VALIDATION_BATCH_ROWS", DEFAULT_BATCH_ROWS)))


@dataclass(frozen=True)
class Dialect:
    name: str
    placeholder: str
    schema: str  # the target's schema: models live in <schema>_intermediate and <schema>_marts

    def relation(self, dataset: Dataset) -> str:
        return f"{self.schema}_{dataset.layer}.{dataset.relation}"

    def json_kind(self, json_expr: str) -> str:
        """The JSON kind of a whole document (null when it is not JSON at all)."""
        if self.name == "duckdb":
            return f"lower(json_type({json_expr}))"
        return f"jsonb_typeof({json_expr})"

    def property_columns(self, planned_type: str) -> tuple[str, str, int]:
        """SQL for a property's value as text and its kind in the plan's vocabulary, with the number of
        parameters (each one the property's key or JSON path) the two expressions take, in order."""
        p = self.placeholder
        if self.name == "duckdb":
            text = f"json_extract_string(properties, {p})"
            string_kind = "'string'"
            params = 2
            if planned_type == "timestamp":
                string_kind = (
                    f"case when try_cast(json_extract_string(properties, {p}) as timestamptz) is not null "
                    "then 'timestamp' else 'string' end"
                )
                params = 3
            kind = (
                f"case json_type(properties, {p}) when 'VARCHAR' then {string_kind} "
                "when 'BIGINT' then 'integer' when 'UBIGINT' then 'integer' when 'HUGEINT' then 'integer' "
                "when 'DOUBLE' then 'number' when 'BOOLEAN' then 'boolean' when 'OBJECT' then 'object' "
                "when 'ARRAY' then 'array' end"
            )
            # every placeholder of both expressions takes the same value (the property's path)
            return text, kind, params
        text = f"(properties ->> {p})"
        string_kind = "'string'"
        params = 3
        if planned_type == "timestamp":
            string_kind = (
                f"case when {self.schema}.try_timestamptz(properties ->> {p}) is not null "
                "then 'timestamp' else 'string' end"
            )
            params = 4
        kind = (
            f"case jsonb_typeof(properties -> {p}) when 'string' then {string_kind} "
            f"when 'number' then case when (properties ->> {p}) ~ '^-?[0-9]+$' then 'integer' "
            "else 'number' end "
            "when 'boolean' then 'boolean' when 'object' then 'object' when 'array' then 'array' end"
        )
        return text, kind, params

    def key(self, property_name: str) -> str:
        """The parameter that addresses one property: a JSON path (DuckDB) or a key (PostgreSQL)."""
        if self.name == "duckdb":
            return '$."' + property_name.replace('"', '\\"') + '"'
        return property_name


def dialect_for(warehouse: Any) -> Dialect:
    if warehouse.target in ("duckdb", "spark"):  # Spark's tables are read through DuckDB (SparkWarehouse)
        return Dialect(name="duckdb", placeholder=warehouse.placeholder, schema=warehouse.schema)
    return Dialect(name="postgres", placeholder=warehouse.placeholder, schema=warehouse.schema)


class WarehouseReader:
    """Counts and reads datasets from one open DB-API connection (DuckDB or psycopg2)."""

    def __init__(
        self,
        connection: Any,
        dialect: Dialect,
        rows_per_batch: int | None = None,
        since_load_id: int | None = None,
    ):
        self.connection = connection
        self.dialect = dialect
        self.rows_per_batch = rows_per_batch or batch_rows()
        # only the rows the contract model (re)checked after this load (milestones.validation.scope)
        self.since_load_id = since_load_id
        self._counts: dict[tuple[str, str], dict[str, int]] = {}

    def _new_rows(self) -> tuple[str, list[Any]]:
        """The where clause (and its parameters) keeping the rows checked after `since_load_id`."""
        if self.since_load_id is None:
            return "1 = 1", []
        return f"processed_load_id > {self.dialect.placeholder}", [self.since_load_id]

    # -- queries ----------------------------------------------------------------------------------
    def _select(self, dataset: Dataset) -> tuple[str, list[Any], list[str]]:
        """(the query, its parameters, the dataframe's column names) reading the dataset's rows."""
        d = self.dialect
        new_rows, new_params = self._new_rows()
        if dataset.kind == "events":
            expressions = {
                "event_id": "event_id",
                "account_id": "account_id",
                "event_name": "event_name",
                "occurred_at": "occurred_at",
                "properties:type": f"coalesce({d.json_kind('properties')}, 'not json')",
            }
            sql = f"select {_aliased(expressions.values())} from {self.relation(dataset)} where {new_rows}"
            return sql, new_params, list(expressions)
        # event_properties: a value column and a kind column per planned property
        columns: list[str] = []
        params: list[Any] = []
        names: list[str] = []
        for prop in dataset.properties:
            text, kind, count = d.property_columns(prop.type)
            columns += [text, kind]
            params += [d.key(prop.name)] * count
            names += [prop.name, prop.name + TYPE_SUFFIX]
        # the event's rows first, then their JSON: a JSON test in the same filter makes DuckDB read the
        # properties of every row of the table (at 10M rows 360 ms per event, against 100 ms)
        sql = (
            f"with event_rows as materialized (select properties from {self.relation(dataset)} "
            f"where event_name = {d.placeholder} and {new_rows}) "
            f"select {_aliased(columns)} from event_rows where {d.json_kind('properties')} = 'object'"
        )
        return sql, [dataset.event_name, *new_params, *params], names

    def relation(self, dataset: Dataset) -> str:
        return self.dialect.relation(dataset)

    def count(self, dataset: Dataset) -> int:
        if dataset.kind == "event_properties":
            return self._event_counts(dataset).get(dataset.event_name or "", 0)
        where, params = self._new_rows()
        sql = f"select count(*) from {self.relation(dataset)} where {where}"
        return int(self._fetch(sql, params)[0][0])

    def _event_counts(self, dataset: Dataset) -> dict[str, int]:
        """Rows per event name (with a properties object) of a layer, counted once."""
        key = (dataset.layer, dataset.relation)
        if key not in self._counts:
            new_rows, params = self._new_rows()
            sql = (
                f"select event_name, count(*) from {self.relation(dataset)} "
                f"where {self.dialect.json_kind('properties')} = 'object' and {new_rows} group by event_name"
            )
            self._counts[key] = {
                name: int(rows) for name, rows in self._fetch(sql, params) if name is not None
            }
        return self._counts[key]

    def batches(self, dataset: Dataset, rows: int | None = None) -> Iterator[tuple[int, int, pd.DataFrame]]:
        """(batch number from 1, batch count, dataframe) for every batch of the dataset: one query, its
        rows handed over `rows_per_batch` at a time. Every expectation is about single rows, so where a
        batch ends does not change a result (the totals are added up by the runner)."""
        rows = self.count(dataset) if rows is None else rows
        count = max(1, math.ceil(rows / self.rows_per_batch))
        sql, params, names = self._select(dataset)
        stream = self._stream if self.dialect.name == "duckdb" else self._stream_postgres
        aliases = [f"c{index}" for index in range(len(names))]
        number = 0
        for number, frame in enumerate(stream(sql, params, aliases), start=1):
            frame.columns = names
            # rows checked while this ran (none in a build) would make more batches than were counted
            yield number, max(count, number), frame
        if number == 0:
            yield 1, 1, pd.DataFrame(columns=names)

    # -- drivers ----------------------------------------------------------------------------------
    def _fetch(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        if self.dialect.name == "duckdb":
            return self.connection.execute(sql, params).fetchall()
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _stream(self, sql: str, params: list[Any], columns: list[str]) -> Iterator[pd.DataFrame]:
        """DuckDB: the rows through Arrow (several times faster than a pandas fetch), cut into batches of
        exactly `rows_per_batch` (Arrow's own record batches vary in size)."""
        import pyarrow as pa

        pending: list[Any] = []
        pending_rows = 0
        for record_batch in self.connection.sql(sql, params=params).to_arrow_reader(self.rows_per_batch):
            pending.append(record_batch)
            pending_rows += record_batch.num_rows
            while pending_rows >= self.rows_per_batch:
                table = pa.Table.from_batches(pending)
                yield table.slice(0, self.rows_per_batch).to_pandas()
                rest = table.slice(self.rows_per_batch)
                pending, pending_rows = rest.to_batches(), rest.num_rows
        if pending_rows:
            yield pa.Table.from_batches(pending).to_pandas()

    def _stream_postgres(self, sql: str, params: list[Any], columns: list[str]) -> Iterator[pd.DataFrame]:
        """PostgreSQL: a server-side cursor, so that only one batch is in memory at a time."""
        with self.connection.cursor(name="milestones_validation") as cursor:
            cursor.itersize = self.rows_per_batch
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(self.rows_per_batch):
                yield pd.DataFrame(rows, columns=columns)


def _aliased(expressions: Iterable[str]) -> str:
    """A select list naming the columns c0, c1, ... (a property's name is data: never an identifier)."""
    return ", ".join(f"{expression} as c{index}" for index, expression in enumerate(expressions))
