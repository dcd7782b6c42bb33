"""Spark builds, delivers and stays incremental like DuckDB (docs/rules.md §7).

The sample is cut into three loads (late events, re-sent copies, accounts landing after their events:
tests/python/load_sequences.py). On Spark (dbt-spark in session mode) Dagster's build job loads and
builds the first, from nothing, with its validations and deliveries; then the other two land and
`milestones build --target spark` builds them incrementally, the incremental models and the CRM
snapshot on Parquet. On DuckDB the same three loads are built once, from scratch. Every mart and every
incremental model must hold the same rows: Spark's incremental build equals a full build, and Spark
equals DuckDB. (DuckDB gets Spark's raw layer as it is, so that the load times, which some columns
fall back to, agree.)

Spark's tables are Parquet files under MILESTONES_SPARK_DIR/tables; the test reads them with DuckDB
(SparkWarehouse.connect), so no second JVM runs in the test process while dbt's holds the metastore.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import SAMPLE_END, environment
from landing_samples import raw_columns, write_mixed_landing
from load_sequences import cut_load_sequence
from seed_rows import SEEDS, assert_same_rows

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SPARK_SCHEMA = "milestones"
# Numbers agree to this many significant digits: the two engines sum doubles in different orders.
SIGNIFICANT_DIGITS = 9
# the incremental models, besides the marts
INCREMENTAL_MODELS = (
    "int_events__contract_checked",
    "int_account_criteria_progress",
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
    folders = cut_load_sequence(sample_landing, tmp_path_factory.mktemp("sequence"))
    # lines that cannot be read, and quotes, a NUL and accents in text, land with the second load
    mixed = write_mixed_landing(tmp_path_factory.mktemp("mixed"))
    shutil.copyfile(mixed / "events_1.jsonl", folders[1] / "events_mixed.jsonl")
    return folders


@dataclass(frozen=True)
class DagsterRun:
    """What the Dagster job's run on Spark did, and what its definitions expect of a run."""

    success: bool
    materialized: set[str]
    materializable: set[str]
    checks: set[tuple[str, str]]
    expected_checks: set[tuple[str, str]]
    failed_checks: list[str]


@dataclass(frozen=True)
class SparkBuilds:
    directory: Path  # MILESTONES_SPARK_DIR
    artifacts: Path  # dbt's target folder and logs, the serving file, the reports
    dagster: DagsterRun


@pytest.fixture(scope="module")
def spark_builds(
    load_sequence: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SparkBuilds]:
    """The first load built by Dagster's job on an empty Spark warehouse, then the other two loaded
    and built by `milestones build --target spark`, all as of the sample's last day."""
    from milestones.build import run_build
    from milestones.load import load_directory

    directory = tmp_path_factory.mktemp("spark")
    artifacts = tmp_path_factory.mktemp("spark_dbt")
    first, *later = load_sequence
    with environment(
        MILESTONES_TARGET="spark",
        MILESTONES_SPARK_DIR=str(directory),
        MILESTONES_SPARK_SCHEMA=SPARK_SCHEMA,
        MILESTONES_LANDING_DIR=str(first),
        MILESTONES_SERVING_PATH=str(artifacts / "serving.duckdb"),
        MILESTONES_REPORTS_DIR=str(artifacts / "reports"),
        # its own dbt target folder: the session's holds the DuckDB parse the other tests reuse
        DBT_TARGET_PATH=str(artifacts / "target"),
        DBT_LOG_PATH=str(artifacts / "logs"),
    ):
        dagster = _run_the_dagster_job()
        for folder in later:
            load_directory(folder, target="spark")
        assert run_build(as_of=SAMPLE_END, target="spark") == 0, f"Spark build failed; see {artifacts}/logs"
        yield SparkBuilds(directory, artifacts, dagster)


def _run_the_dagster_job() -> DagsterRun:
    """The code location's build job, in-process: the landing folder loaded, dbt's build with its
    tests as asset checks, the Great Expectations checks and the deliveries."""
    import dagster as dg

    from orchestration.definitions import defs

    result = defs.resolve_job_def("build_warehouse").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        run_config={"ops": {"dbt_build": {"config": {"as_of_date": SAMPLE_END.isoformat()}}}},
        raise_on_error=False,
    )
    graph = defs.resolve_asset_graph()
    evaluations = result.get_asset_check_evaluations()
    return DagsterRun(
        success=result.success,
        materialized={
            event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
        },
        materializable={key.to_user_string() for key in graph.materializable_asset_keys},
        checks={(event.asset_key.to_user_string(), event.check_name) for event in evaluations},
        expected_checks={(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys},
        # a warn-severity dbt test may fail on the sample's dirty rows, as in `milestones build`
        failed_checks=[
            f"{e.asset_key.to_user_string()}:{e.check_name}"
            for e in evaluations
            if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
        ],
    )


@pytest.fixture(scope="module")
def spark_dir(spark_builds: SparkBuilds) -> Path:
    return spark_builds.directory


@pytest.fixture(scope="module")
def full_duckdb(spark_dir: Path, dbt_artifacts: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same landed rows (Spark's raw Parquet files, load times and all) in DuckDB, built once."""
    from milestones.build.dbt import UNIT_TEST_EXCLUSION, run_dbt
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
        DBT_TARGET_PATH=str(dbt_artifacts / "target"),
        DBT_LOG_PATH=str(dbt_artifacts / "logs"),
    ):
        # the models only: DuckDB's build with its tests and deliveries is tested elsewhere
        command = ["build", *UNIT_TEST_EXCLUSION, "--exclude", "resource_type:test", "--full-refresh"]
        outcome = run_dbt(command, target="duckdb", as_of=SAMPLE_END, quiet=True)
        assert outcome.success, f"dbt build failed on DuckDB; see {outcome.log_path}"
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
    assert loads == 2, "each build should have processed its own loads"


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


def test_dagster_builds_validates_and_delivers_on_spark(spark_builds: SparkBuilds) -> None:
    run = spark_builds.dagster
    assert run.success
    # every asset: the landing tables, every dbt node (dbt's JSON log lines read whole, with Spark's
    # console quiet), and the deliveries after the blocking validation
    assert run.materializable - run.materialized == set()
    assert {"delivery/serving_file", "delivery/crm_change_feed", "delivery/html_report"} <= run.materialized
    assert run.checks == run.expected_checks
    assert run.failed_checks == []


def test_spark_reads_the_raw_parquet_as_landed(
    spark_builds: SparkBuilds, capsys: pytest.CaptureFixture[str]
) -> None:
    """dbt's on-run-start registers the raw folders as Spark tables: Spark reads every value the files
    hold, with the numbers and the load time typed, and freshness reads the load time."""
    from milestones.build.dbt import run_dbt
    from milestones.build.freshness import source_freshness
    from milestones.load import RAW_TABLES

    with environment(MILESTONES_SPARK_DIR=str(spark_builds.directory), MILESTONES_SPARK_SCHEMA=SPARK_SCHEMA):
        freshness = source_freshness("spark") or []
    assert {result.table for result in freshness if result.status == "pass"} == {
        "landing.events",
        "landing.accounts",
    }

    tables = [*RAW_TABLES, "_loads"]
    query = " union all ".join(_spark_summary_sql(table) for table in tables)
    capsys.readouterr()
    shown = run_dbt(["show", "--inline", query, "--output", "json", "--limit", "-1"], target="spark")
    assert shown.success, shown.failed
    output = capsys.readouterr().out
    start = re.search(r'\{\s*"show"', output)
    assert start, output
    in_spark = {
        row["table_name"]: row for row in json.JSONDecoder().raw_decode(output[start.start() :])[0]["show"]
    }
    assert in_spark["events"]["error_rows"] == 3, "the mixed file's three unreadable lines"
    for table in tables:
        row = in_spark[table]
        summary = _parquet_summary(spark_builds.directory, table)
        assert (row["row_count"], row["error_rows"], row["digest"]) == summary, table
        assert row["types"] == ("bigint,timestamp,bigint" if row["row_count"] else ""), table


def _spark_summary_sql(table: str) -> str:
    """One row about a raw table in Spark SQL: its rows, the rows with a load error, a digest of every
    value and the types of the numbers and the time."""
    errors, numbers = (
        ("0", "load_id, loaded_at, row_count")
        if table == "_loads"
        else ("count(_load_error)", "_load_id, _loaded_at, _row_number")
    )
    types = ", ".join(f"max(typeof({column}))" for column in numbers.split(", "))
    return f"""
        select '{table}' as table_name, count(*) as row_count, {errors} as error_rows,
            sha2(array_join(array_sort(collect_list(md5(concat_ws(char(1), {_values(table, "spark")})))),
                ','), 256) as digest,
            concat_ws(',', {types}) as types
        from {{{{ source('landing', '{table}') }}}}"""


def _parquet_summary(spark_dir: Path, table: str) -> tuple[object, ...]:
    """The same row as DuckDB reads it from the table's visible Parquet files (without the types)."""
    files = sorted(str(path) for path in (spark_dir / "raw" / table).glob("[!._]*.parquet"))
    if not files:
        return (0, 0, hashlib.sha256(b"").hexdigest())
    errors = "0" if table == "_loads" else "count(_load_error)"
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        return connection.execute(
            f"""select count(*), {errors}, sha256(coalesce(string_agg(digest, ',' order by digest), ''))
                from (select *, md5(concat_ws(chr(1), {_values(table, "duckdb")})) as digest
                      from read_parquet(?))""",
            [files],
        ).fetchone()


def _values(table: str, dialect: str) -> str:
    """Every column as the same text in both engines: NULL as a character no value has, the times in
    microseconds."""
    values = []
    for column in raw_columns(table):
        if column in {"_loaded_at", "loaded_at"}:
            micros = "unix_micros" if dialect == "spark" else "epoch_us"
            values.append(f"cast({micros}({column}) as string)")
        else:
            values.append(f"coalesce(cast({column} as string), {'char' if dialect == 'spark' else 'chr'}(2))")
    return ", ".join(values)
