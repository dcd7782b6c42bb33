"""Spark builds, delivers and stays incremental like DuckDB (docs/rules.md §7).

The sample is cut into three loads (late events, re-sent copies, accounts landing after their events:
tests/python/load_sequences.py). On Spark (dbt-spark in session mode) each load is followed by a
build, so the incremental models and the CRM snapshot run incrementally on Parquet. On
DuckDB the same three loads are built once, from scratch. Every mart and every incremental model must
hold the same rows: Spark's incremental builds equal a full build, and Spark equals DuckDB. (DuckDB
gets Spark's raw layer as it is, so that the load times, which some columns fall back to, agree.)

Spark's tables are Parquet files under MILESTONES_SPARK_DIR/tables; the test reads them with DuckDB
(SparkWarehouse.connect), so no second JVM runs in the test process while dbt's holds the metastore.
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
from load_sequences import cut_load_sequence
from seed_rows import SEEDS, assert_same_rows

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SPARK_SCHEMA = "milestones"
# Numbers agree to this many significant digits: the two engines sum doubles in different orders.
SIGNIFICANT_DIGITS = 9
# the incremental models, besides the marts
INCREMENTAL_MODELS = (
    "int_events__contract_checked",
    "int_account_criteria_met",
    "int_accounts__status_history",
)
# bookkeeping of incremental builds (which load each row was processed in), and what depends on how
# many builds delivered: the change feed has a row per delivering build that changed a crm_id, and
# updated_at is when the current version was recorded (docs/rules.md §6)
LEFT_OUT = {"processed_load_id", "seed_fingerprint", "updated_at"}
DELIVERY_HISTORY_TABLES = ("crm_account_milestone_changes",)
CHECKED = f"{SPARK_SCHEMA}_intermediate.int_events__contract_checked"


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
def load_sequence(sample_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return cut_load_sequence(sample_landing, tmp_path_factory.mktemp("sequence"))


@pytest.fixture(scope="module")
def spark_dir(load_sequence: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The three loads, each followed by a build on Spark as of the sample's last day: dbt's for the first
    two (the data tests left out, to save test time), `milestones build --target spark` for the last."""
    from milestones.build import run_build
    from milestones.build.dbt import UNIT_TEST_EXCLUSION, dbt_vars, run_dbt
    from milestones.load import load_directory

    directory = tmp_path_factory.mktemp("spark")
    artifacts = tmp_path_factory.mktemp("spark_dbt")
    with environment(
        MILESTONES_TARGET="spark",
        MILESTONES_SPARK_DIR=str(directory),
        MILESTONES_SPARK_SCHEMA=SPARK_SCHEMA,
        MILESTONES_SERVING_PATH=str(artifacts / "serving.duckdb"),
        MILESTONES_REPORTS_DIR=str(artifacts / "reports"),
        # its own dbt target folder: the session's holds the DuckDB parse the other tests reuse
        DBT_TARGET_PATH=str(artifacts / "target"),
        DBT_LOG_PATH=str(artifacts / "logs"),
    ):
        *earlier, last = load_sequence
        for folder in earlier:  # the models and the snapshot; the data tests run once, in the last build
            load_directory(folder, target="spark")
            command = ["build", *UNIT_TEST_EXCLUSION, "--exclude", "resource_type:test"]
            outcome = run_dbt(command, target="spark", variables=dbt_vars(SAMPLE_END), quiet=True)
            assert outcome.success, f"dbt build failed on Spark; see {outcome.log_path}"
        load_directory(last, target="spark")
        assert run_build(as_of=SAMPLE_END, target="spark") == 0, f"Spark build failed; see {artifacts}/logs"
        yield directory


@pytest.fixture(scope="module")
def full_duckdb(spark_dir: Path, dbt_artifacts: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same landed rows (Spark's raw Parquet files, load times and all) in DuckDB, built once."""
    from milestones.build import run_build
    from milestones.load import load_directory

    database = tmp_path_factory.mktemp("full") / "milestones.duckdb"
    empty = tmp_path_factory.mktemp("no_landing")
    with environment(MILESTONES_DUCKDB_PATH=str(database)):
        load_directory(empty, target="duckdb")  # the raw tables, empty
    with duckdb.connect(str(database)) as connection:
        for folder in sorted((spark_dir / "raw").glob("*/")):
            if any(folder.glob("load_*.parquet")):
                connection.execute(
                    f'insert into main_raw."{folder.name}" by name select * from read_parquet(?)',
                    [str(folder / "load_*.parquet")],
                )
    with environment(
        MILESTONES_TARGET="duckdb",
        MILESTONES_DUCKDB_PATH=str(database),
        MILESTONES_SERVING_PATH=str(database.with_name("serving.duckdb")),
        DBT_TARGET_PATH=str(dbt_artifacts / "target"),
        DBT_LOG_PATH=str(dbt_artifacts / "logs"),
    ):
        assert run_build(as_of=SAMPLE_END, full_refresh=True) == 0
    return database


def _rows(connection: duckdb.DuckDBPyConnection, relation: str) -> list[tuple]:
    """Every row of a relation, normalised and sorted, columns in name order (the engines' column
    orders differ: Spark puts partition columns last), bookkeeping columns left out."""
    names = sorted(
        name for name in connection.sql(f"select * from {relation}").columns if name not in LEFT_OUT
    )
    fetched = connection.sql(f"select {', '.join(names)} from {relation}").fetchall()
    return sorted((tuple(_normalise(value) for value in row) for row in fetched), key=repr)


def _spark_connection() -> duckdb.DuckDBPyConnection:
    from milestones.warehouse import resolve

    return resolve("spark").connect(read_only=True)


def test_spark_incremental_builds_equal_a_full_duckdb_build(spark_dir: Path, full_duckdb: Path) -> None:
    with duckdb.connect(str(full_duckdb), read_only=True) as on_duckdb, _spark_connection() as on_spark:
        marts = [
            name
            for (name,) in on_duckdb.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'main_marts' order by 1"
            ).fetchall()
            if name not in DELIVERY_HISTORY_TABLES
        ]
        assert len(marts) >= 16
        pairs = [(f"main_marts.{name}", f"{SPARK_SCHEMA}_marts.{name}") for name in marts]
        pairs += [
            (f"main_intermediate.{name}", f"{SPARK_SCHEMA}_intermediate.{name}")
            for name in INCREMENTAL_MODELS
        ]
        different = [
            duckdb_name
            for duckdb_name, spark_name in pairs
            if _rows(on_duckdb, duckdb_name) != _rows(on_spark, spark_name)
        ]
        (completed,) = on_spark.execute(
            f"select count(*) from {SPARK_SCHEMA}_marts.fct_account_milestones where status = 'completed'"
        ).fetchone()
    assert not different, f"Spark and DuckDB differ in {different}"
    assert completed > 0, "nothing completed: the comparison would prove little"


def test_the_spark_sequence_exercised_late_duplicate_and_unknown_account_rows(spark_dir: Path) -> None:
    with _spark_connection() as on_spark:
        reasons = dict(
            on_spark.execute(
                f"select violation_reason, count(*) from {CHECKED}"
                " where violation_reason is not null group by 1"
            ).fetchall()
        )
        (loads,) = on_spark.execute(f"select count(distinct processed_load_id) from {CHECKED}").fetchone()
    assert reasons.get("duplicate_event_id", 0) >= 200
    assert loads == 3, "each build should have processed its own load"


def test_the_spark_crm_snapshot_keeps_one_current_version_per_account(spark_dir: Path) -> None:
    with _spark_connection() as on_spark:
        current = on_spark.execute(
            f"select crm_id, row_hash from {SPARK_SCHEMA}_snapshots.crm_account_milestone_sync_snapshot"
            " where dbt_valid_to is null and coalesce(dbt_is_deleted, 'False') != 'True'"
        ).fetchall()
        synced = on_spark.execute(
            f"select crm_id, row_hash from {SPARK_SCHEMA}_marts.crm_account_milestone_sync"
        ).fetchall()
        (ended,) = on_spark.execute(
            f"select count(*) from {SPARK_SCHEMA}_snapshots.crm_account_milestone_sync_snapshot"
            " where dbt_valid_to is not null"
        ).fetchone()
        (changes,) = on_spark.execute(
            f"select count(*) from {SPARK_SCHEMA}_marts.crm_account_milestone_changes"
        ).fetchone()
    assert sorted(current) == sorted(synced) and synced
    # the later loads changed some accounts (late events, late accounts): their first versions ended
    assert ended > 0
    assert changes >= len(synced)


def test_spark_delivers_the_serving_file_the_report_and_the_export(spark_dir: Path, tmp_path: Path) -> None:
    from milestones.delivery.export import export_changes
    from milestones.delivery.guard import last_delivered
    from milestones.delivery.publish import serving_path
    from milestones.delivery.report import write_report

    assert last_delivered("spark") == SAMPLE_END
    with duckdb.connect(str(serving_path()), read_only=True) as serving, _spark_connection() as on_spark:
        (served,) = serving.execute(
            f"select count(*) from {SPARK_SCHEMA}_marts.dim_account_milestone_status"
        ).fetchone()
        (built,) = on_spark.execute(
            f"select count(*) from {SPARK_SCHEMA}_marts.dim_account_milestone_status"
        ).fetchone()
    assert served == built > 0
    report = write_report(target="spark", out=tmp_path / "report.html")
    assert "Spark warehouse, schema milestones" in report.read_text(encoding="utf-8")
    exported = export_changes(target="spark", out_dir=tmp_path / "feed")
    assert exported.rows > 0


def test_spark_seeds_read_back_as_their_csv(spark_dir: Path) -> None:
    with _spark_connection() as on_spark:
        for seed in SEEDS:
            cursor = on_spark.execute(f"select * from {SPARK_SCHEMA}_seeds.{seed.stem}")
            columns = [description[0] for description in cursor.description]
            assert_same_rows(seed, columns, cursor.fetchall())
