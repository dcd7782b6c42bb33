"""Every seed reads back as its CSV file (an empty cell is null, quotes and commas survive) on DuckDB.
On Spark, where the project loads seeds itself (macros/spark/load_csv_rows.sql), the same check reads
the seeds of the Spark build (tests/python/build/test_spark_parity.py).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from milestones.build.dbt import run_dbt
from seed_rows import SEEDS, assert_same_rows


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
            assert_same_rows(seed, columns, cursor.fetchall())
