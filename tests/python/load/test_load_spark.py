"""`milestones load --target spark`: the raw layer as Parquet files under MILESTONES_SPARK_DIR/raw
(docs/rules.md §7) holds the DuckDB load's rows, is idempotent and survives an interrupted load.

No test here starts Spark: they read the files with DuckDB. How Spark reads them (dbt's on-run-start
registers them as the tables of `<schema>_raw`) is tested with the Spark builds, in
tests/python/build/test_spark_parity.py, so that one worker starts Spark's JVMs.
"""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from landing_samples import raw_columns, write_mixed_landing
from milestones import warehouse
from milestones.cli import main
from milestones.errors import UserError
from milestones.load import RAW_TABLES, load_directory
from milestones.load.loader import loaded_checksums


@pytest.fixture
def spark_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "spark"
    monkeypatch.setenv("MILESTONES_SPARK_DIR", str(folder))
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("MILESTONES_SPARK_SCHEMA", raising=False)
    monkeypatch.delenv("MILESTONES_TARGET", raising=False)
    return folder


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """Every table and format, with rows that end up with a load error."""
    return write_mixed_landing(tmp_path / "landing")


def parquet_files(spark_dir: Path, table: str) -> str:
    """The Parquet files Spark reads for a raw table (its folder's visible files), as a DuckDB list."""
    files = sorted((spark_dir / "raw" / table).glob("[!._]*.parquet"))
    return "[" + ", ".join(f"'{path}'" for path in files) + "]"


def ordered_rows(source: str, table: str, connection: Any) -> list[tuple[Any, ...]]:
    order = "load_id" if table == "_loads" else "_load_id, _row_number"
    return connection.execute(
        f"select {', '.join(raw_columns(table))} from {source} order by {order}"
    ).fetchall()


def parquet_rows(spark_dir: Path, table: str) -> list[tuple[Any, ...]]:
    with duckdb.connect() as connection:
        return ordered_rows(f"read_parquet({parquet_files(spark_dir, table)})", table, connection)


def duckdb_rows(database: Path, table: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return ordered_rows(f"main_raw.{table}", table, connection)


def without_loaded_at(rows: list[tuple[Any, ...]], table: str) -> list[tuple[Any, ...]]:
    """The rows without their load time (two loads of the same files differ only there)."""
    at = raw_columns(table).index("loaded_at" if table == "_loads" else "_loaded_at")
    return [row[:at] + row[at + 1 :] for row in rows]


def test_spark_load_gives_the_duckdb_rows_and_is_idempotent(
    spark_dir: Path, landing: Path, tmp_path: Path
) -> None:
    on_duckdb = load_directory(landing, target="duckdb")
    on_spark = load_directory(landing, target="spark")

    assert on_spark.raw_schema == "milestones_raw"
    assert on_spark.location == f"spark {spark_dir}"
    assert on_spark.rows_by_table == on_duckdb.rows_by_table
    assert on_spark.error_rows_by_table == on_duckdb.error_rows_by_table
    assert on_spark.error_rows_by_table["events"] == 3
    assert [f.load_id for f in on_spark.files] == list(range(1, len(on_spark.files) + 1))
    for table in [*RAW_TABLES, "_loads"]:
        in_spark = parquet_rows(spark_dir, table)
        assert without_loaded_at(in_spark, table) == without_loaded_at(
            duckdb_rows(tmp_path / "w.duckdb", table), table
        ), table
    # the same column types as the DuckDB raw tables
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as connection:
        for table in [*RAW_TABLES, "_loads"]:
            expected = connection.execute(f"DESCRIBE main_raw.{table}").fetchall()
            written = connection.execute(
                f"DESCRIBE SELECT * FROM read_parquet({parquet_files(spark_dir, table)})"
            ).fetchall()
            assert [row[:2] for row in written] == [row[:2] for row in expected], table
    assert loaded_checksums("spark") == {f.checksum for f in on_spark.files}

    (landing / "events_copy.jsonl").write_bytes((landing / "events_1.jsonl").read_bytes())
    again = load_directory(landing, target="spark")
    assert {f.status for f in again.files} == {"skipped"}
    load_ids = {f.file_name: f.load_id for f in again.files}
    assert load_ids["events_copy.jsonl"] == load_ids["events_1.jsonl"] == 2
    assert len(parquet_rows(spark_dir, "_loads")) == len(on_spark.files)
    (landing / "events_3.jsonl").write_text('{"event_id": "e3"}\n')
    third = load_directory(landing, target="spark")
    assert [(f.file_name, f.load_id) for f in third.loaded] == [("events_3.jsonl", len(on_spark.files) + 1)]


def test_spark_load_finishes_or_undoes_an_interrupted_load(spark_dir: Path, landing: Path) -> None:
    first = load_directory(landing, target="spark")
    events = spark_dir / "raw" / "events"
    assert sorted(path.name for path in events.iterdir()) == [
        "load_000000002.parquet",
        "load_000000003.parquet",
    ]
    # load 2 committed (its _loads file is there) but its rows not yet shown
    (events / "load_000000002.parquet").rename(events / ".load_000000002.parquet.pending")
    # load 99 not committed: its rows written, its _loads file unfinished
    shutil.copyfile(events / "load_000000003.parquet", events / ".load_000000099.parquet.pending")
    shutil.copyfile(
        spark_dir / "raw" / "_loads" / "load_000000003.parquet",
        spark_dir / "raw" / "_loads" / ".load_000000099.parquet.pending",
    )
    assert loaded_checksums("spark") == {f.checksum for f in first.files}

    again = load_directory(landing, target="spark")
    assert {f.status for f in again.files} == {"skipped"}
    assert sorted(path.name for path in events.iterdir()) == [
        "load_000000002.parquet",
        "load_000000003.parquet",
    ]
    assert [path.name for path in (spark_dir / "raw" / "_loads").glob(".*")] == []
    assert len(parquet_rows(spark_dir, "events")) == first.rows_by_table["events"]


def test_a_failed_spark_load_leaves_nothing(
    spark_dir: Path, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from milestones.load.loader import _SparkSink

    def fail(*_: object) -> None:
        raise OSError("No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(_SparkSink, "_write_loads_row", fail)
        with pytest.raises(
            UserError, match=r"cannot load accounts\.csv into spark .*: No space left on device"
        ):
            load_directory(landing, target="spark")
    assert [path for path in (spark_dir / "raw").rglob("*") if path.is_file() and path.name != ".lock"] == []
    assert [f.load_id for f in load_directory(landing, target="spark").files] == [1, 2, 3, 4, 5, 6]


def test_spark_load_is_one_loader_at_a_time(spark_dir: Path, landing: Path) -> None:
    (spark_dir / "raw").mkdir(parents=True)
    with (spark_dir / "raw" / ".lock").open("w") as held:
        held.write("process 4242")
        held.flush()
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(
            UserError, match="is being loaded by process 4242; run again when it has finished"
        ):
            load_directory(landing, target="spark")
    assert load_directory(landing, target="spark").loaded


def test_spark_target_from_the_cli(
    spark_dir: Path, landing: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert loaded_checksums("spark") == set()
    monkeypatch.setenv("MILESTONES_SPARK_SCHEMA", "analytics")
    resolved = warehouse.resolve("spark")
    assert isinstance(resolved, warehouse.SparkWarehouse)
    assert (resolved.raw_schema, resolved.raw_dir) == ("analytics_raw", spark_dir / "raw")
    assert main(["load", str(landing), "--target", "spark"]) == 0
    assert f"into analytics_raw (spark {spark_dir})" in capsys.readouterr().out
    monkeypatch.setenv("MILESTONES_TARGET", "spark")
    assert main(["load", str(landing)]) == 0
    assert "skipped 6 (already loaded)" in capsys.readouterr().out


def test_a_loaded_spark_warehouse_is_read_before_its_first_build(spark_dir: Path, landing: Path) -> None:
    """`milestones build --target spark` after the first load: the build's own checks read the raw
    tables (landing freshness, what changed) before any Spark table exists."""
    from datetime import date

    from milestones.build.freshness import source_freshness
    from milestones.build.unchanged import current_inputs

    with pytest.raises(UserError, match="run `milestones load` and `milestones build` with --target spark"):
        warehouse.resolve("spark").connect()
    load_directory(landing, target="spark")
    assert not (spark_dir / "tables").exists()
    with warehouse.resolve("spark").connect() as connection:
        loaded = connection.execute("select count(*) from milestones_raw.events").fetchone()[0]
    assert loaded == len(parquet_rows(spark_dir, "events")) > 0
    assert {result.table for result in source_freshness("spark") or []} >= {"landing.events"}
    inputs = current_inputs(date(2026, 9, 30), "spark")
    assert inputs.last_load_id == max(row[0] for row in parquet_rows(spark_dir, "_loads"))
