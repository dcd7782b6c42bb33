"""Every seed reads back as its CSV file (an empty cell is null, quotes and commas survive), on DuckDB
and on Spark (docs/rules.md §7), where the project loads seeds itself (macros/spark/load_csv_rows.sql).

The Spark test starts one JVM, in dbt's own process, and reads the seeds' Parquet files with DuckDB.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from milestones import paths
from milestones.build.dbt import run_dbt

SEEDS = sorted((paths.PROJECT_DIR / "seeds").glob("*.csv"))
Row = tuple[object, ...]


def _csv_rows(seed: Path) -> tuple[list[str], list[list[str]]]:
    with seed.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def _as_loaded(cell: str, sample: object) -> object:
    """The CSV cell in the form of the loaded column's values (sample: one of them, not null)."""
    if cell == "":
        return None
    if isinstance(sample, bool):
        return cell.strip().lower() == "true"
    if isinstance(sample, int | float | Decimal):
        return float(cell)
    return cell


def _comparable(value: object) -> object:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _assert_same_rows(seed: Path, columns: list[str], loaded: list[Row]) -> None:
    header, rows = _csv_rows(seed)
    assert columns == header, f"{seed.stem}: columns"
    assert len(loaded) == len(rows), f"{seed.stem}: row count"
    samples = [next((row[i] for row in loaded if row[i] is not None), "") for i in range(len(header))]
    expected = Counter(tuple(_as_loaded(c, s) for c, s in zip(row, samples, strict=True)) for row in rows)
    actual = Counter(tuple(_comparable(value) for value in row) for row in loaded)
    assert actual == expected, f"{seed.stem}: {sorted(map(str, actual - expected))[:3]}"
    floats = [value for row in loaded for value in row if isinstance(value, float)]
    assert all(math.isfinite(value) for value in floats), seed.stem


def test_seeds_read_back_as_their_csv_on_duckdb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "seeds.duckdb"
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    outcome = run_dbt(["seed"], target="duckdb", quiet=True)
    assert outcome.success, [failed.message for failed in outcome.failed]
    with duckdb.connect(str(database), read_only=True) as connection:
        for seed in SEEDS:
            cursor = connection.execute(f"select * from main_seeds.{seed.stem}")
            columns = [description[0] for description in cursor.description]
            _assert_same_rows(seed, columns, cursor.fetchall())


@pytest.mark.spark
def test_seeds_read_back_as_their_csv_on_spark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spark_dir = tmp_path / "spark"
    monkeypatch.setenv("MILESTONES_SPARK_DIR", str(spark_dir))
    monkeypatch.delenv("MILESTONES_SPARK_SCHEMA", raising=False)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    outcome = run_dbt(["seed"], target="spark", quiet=True)
    assert outcome.success, [failed.message for failed in outcome.failed]
    # the seeds are managed Parquet tables under the warehouse folder: no second JVM to read them
    tables = spark_dir / "tables" / "milestones_seeds.db"
    with duckdb.connect() as connection:
        for seed in SEEDS:
            files = str(tables / seed.stem / "*.parquet")
            cursor = connection.execute("select * from read_parquet(?)", [files])
            columns = [description[0] for description in cursor.description]
            _assert_same_rows(seed, columns, cursor.fetchall())
