"""`milestones load --target postgres`: the same raw rows as on DuckDB, streamed with COPY, idempotent through
the PostgreSQL `_loads` table. Each test uses its own schema and drops it afterwards."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest

import services
from landing_samples import write_mixed_landing
from milestones.cli import main
from milestones.load import RAW_TABLES, load_directory

pytestmark = pytest.mark.postgres

COMPARED = [
    "_load_id", "_file_name", "_file_checksum", "_row_number", "_raw_record", "_load_error",
]  # fmt: skip


@pytest.fixture
def pg_schema(postgres, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    schema = f"milestones_test_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("MILESTONES_PG_SCHEMA", schema)
    monkeypatch.delenv("MILESTONES_TARGET", raising=False)
    yield schema
    with (
        psycopg2.connect(**services.configured_postgres().connect_args()) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}_raw" CASCADE')
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    connection.close()


def pg_rows(schema: str, table: str) -> list[dict[str, Any]]:
    with (
        psycopg2.connect(**services.configured_postgres().connect_args()) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(f'SELECT * FROM "{schema}_raw"."{table}" ORDER BY 1')
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    connection.close()
    return rows


def duckdb_rows(path: Path, table: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        result = connection.execute(f"SELECT * FROM main_raw.{table} ORDER BY 1")
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def comparable(rows: list[dict[str, Any]], data_columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    ordered = sorted(rows, key=lambda row: (row["_load_id"], row["_row_number"]))
    return [tuple(row[c] for c in (*data_columns, *COMPARED)) for row in ordered]


@pytest.fixture
def mixed_landing(tmp_path: Path) -> Path:
    """Every table and format, with rows that end up with a load error."""
    return write_mixed_landing(tmp_path / "landing")


def test_postgres_load_gives_the_same_rows_as_duckdb(
    pg_schema: str, mixed_landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    on_duckdb = load_directory(mixed_landing, target="duckdb")
    on_postgres = load_directory(mixed_landing, target="postgres")

    assert on_postgres.rows_by_table == on_duckdb.rows_by_table
    assert on_postgres.rows_by_table["events"] == 8
    assert on_postgres.raw_schema == f"{pg_schema}_raw"
    for table, columns in RAW_TABLES.items():
        in_duckdb = comparable(duckdb_rows(tmp_path / "w.duckdb", table), columns)
        in_postgres = comparable(pg_rows(pg_schema, table), columns)
        if table == "events":  # PostgreSQL text cannot hold NUL: it arrives as U+FFFD
            in_duckdb = [
                tuple(v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in row)
                for row in in_duckdb
            ]
        assert in_postgres == in_duckdb, table
    events = pg_rows(pg_schema, "events")
    assert {row["account_id"] for row in events if row["event_id"] == "multi\nline"} == {""}
    loads_pg = [(r["load_id"], r["file_name"], r["row_count"]) for r in pg_rows(pg_schema, "_loads")]
    loads_duck = [
        (r["load_id"], r["file_name"], r["row_count"]) for r in duckdb_rows(tmp_path / "w.duckdb", "_loads")
    ]
    assert loads_pg == loads_duck


def test_postgres_load_is_idempotent(pg_schema: str, mixed_landing: Path) -> None:
    first = load_directory(mixed_landing, target="postgres")
    assert {f.status for f in first.files} == {"loaded"}
    (mixed_landing / "events_copy.jsonl").write_bytes((mixed_landing / "events_1.jsonl").read_bytes())
    second = load_directory(mixed_landing, target="postgres")
    assert {f.status for f in second.files} == {"skipped"}
    assert len(pg_rows(pg_schema, "events")) == first.rows_by_table["events"]
    assert len(pg_rows(pg_schema, "_loads")) == len(first.files)


def test_postgres_target_from_the_environment(
    pg_schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "experiment_assignments.csv").write_text(
        "account_id,experiment_id,variant,assigned_at\na,x,b,t\n"
    )
    monkeypatch.setenv("MILESTONES_TARGET", "postgres")
    assert main(["load", str(landing)]) == 0
    assert f"{pg_schema}_raw" in capsys.readouterr().out
    (row,) = pg_rows(pg_schema, "experiment_assignments")
    assert (row["variant"], row["_row_number"], row["_load_error"]) == ("b", 1, None)
    assert json.loads(row["_raw_record"]) == {
        "account_id": "a",
        "experiment_id": "x",
        "variant": "b",
        "assigned_at": "t",
    }
