"""The same landing files built on Spark (dbt-spark in session mode) and on DuckDB give the same rows
in every mart table, and the quarantine the same reasons (docs/rules.md §7).

Spark's tables are Parquet files under MILESTONES_SPARK_DIR/tables; the test reads them with DuckDB, so
no second JVM runs in the test process while dbt's holds the metastore.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import SAMPLE_END, environment

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SPARK_SCHEMA = "milestones"
# The CRM snapshot needs a table format with merge (Delta): on Spark the build leaves it and what
# reads it out (docs/rules.md §7).
WITHOUT_SNAPSHOT = ("--exclude", "resource_type:snapshot+")
# Numbers agree to this many significant digits: the two engines sum doubles in different orders.
SIGNIFICANT_DIGITS = 9


def _normalise(value: object) -> object:
    if isinstance(value, float | Decimal):
        value = float(value)
        if value == 0 or math.isnan(value):
            return value
        return round(value, SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value))))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def spark_dir(sample_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's sample landing folder loaded and built on Spark, as of the sample's last day."""
    from milestones.build.dbt import UNIT_TEST_EXCLUSION, dbt_vars, run_dbt
    from milestones.load import load_directory

    directory = tmp_path_factory.mktemp("spark")
    artifacts = tmp_path_factory.mktemp("spark_dbt")
    with environment(
        MILESTONES_SPARK_DIR=str(directory),
        MILESTONES_SPARK_SCHEMA=SPARK_SCHEMA,
        # its own dbt target folder: the session's holds the DuckDB parse the other tests reuse
        DBT_TARGET_PATH=str(artifacts / "target"),
        DBT_LOG_PATH=str(artifacts / "logs"),
    ):
        load_directory(sample_landing, target="spark")
        outcome = run_dbt(
            ["build", *UNIT_TEST_EXCLUSION, *WITHOUT_SNAPSHOT], target="spark", variables=dbt_vars(SAMPLE_END)
        )
        assert outcome.success, f"dbt build failed on Spark; see {outcome.log_path}"
        yield directory


def _duckdb_tables(database: Path, schema: str) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as connection:
        found = connection.execute(
            "select table_name from information_schema.tables"
            " where table_schema = ? and table_type = 'BASE TABLE' order by 1",
            [schema],
        ).fetchall()
    return [name for (name,) in found]


def _rows(database: Path | None, source: str) -> list[tuple]:
    """Every row of a relation (a DuckDB table, or read_parquet of a Spark table's folder), normalised
    and sorted, columns in name order so both engines' column orders compare."""
    where = str(database) if database else ":memory:"
    with duckdb.connect(where, read_only=database is not None) as connection:
        relation = connection.sql(f"select * from {source}")
        names = sorted(relation.columns)
        fetched = connection.sql(f"select {', '.join(names)} from {source}").fetchall()
    return sorted((tuple(_normalise(value) for value in row) for row in fetched), key=repr)


def _spark_table(spark_dir: Path, layer: str, table: str) -> str:
    folder = spark_dir / "tables" / f"{SPARK_SCHEMA}_{layer}.db" / table
    assert folder.is_dir(), f"Spark did not write {SPARK_SCHEMA}_{layer}.{table}"
    return f"read_parquet('{folder}/*.parquet')"


def test_every_mart_table_has_the_same_rows(spark_dir: Path, built_duckdb: Path) -> None:
    marts = [name for name in _duckdb_tables(built_duckdb, "main_marts") if not name.startswith("crm_")]
    assert len(marts) >= 15
    different = [
        table
        for table in marts
        if _rows(built_duckdb, f"main_marts.{table}") != _rows(None, _spark_table(spark_dir, "marts", table))
    ]
    assert not different, f"Spark and DuckDB differ in {different}"


def test_the_quarantine_gives_the_same_reasons(spark_dir: Path, built_duckdb: Path) -> None:
    by_reason = "select violation_reason, count(*) as landed_rows from {} group by 1"
    on_duckdb = _rows(built_duckdb, f"({by_reason.format('main_intermediate.int_events__contract_checked')})")
    spark_checked = _spark_table(spark_dir, "intermediate", "int_events__contract_checked")
    on_spark = _rows(None, f"({by_reason.format(spark_checked)})")
    assert on_spark == on_duckdb
    # (columns in name order: landed_rows, violation_reason) some rows are quarantined
    assert sum(count for count, reason in on_duckdb if reason is not None) > 0
