"""The semantic layer (models/semantic, docs/metrics.md) on the sample warehouse: MetricFlow accepts the
configs, and every number `mf query` returns equals a direct query on the mart it summarizes (exact
for counts and sums, 1e-9 for rates, means and percentiles).

The mf commands run one after another in a single child process: the CLI's imports take seconds, so
they are paid once. mf reads the semantic manifest (with the warehouse's table names) from
<project>/target, so it runs in a stand-in project folder: the project's dbt_project.yml and a target/
of its own, parsed for the sample warehouse. The checkout's target/ is never touched, and other tests
of the session that parse for other warehouses do not change what mf reads.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import SAMPLE_END, environment
from milestones.build.dbt import profiles_dir, run_dbt
from milestones.paths import PROJECT_DIR

pytestmark = pytest.mark.slow

TOLERANCE = 1e-9

# Counts and money: compared exactly. Every other metric is a rate, a mean or a percentile.
EXACT_METRICS = {
    "account_milestones", "milestones_completed", "stalled_accounts", "stalled_arr", "accounts",
    "account_arr", "renewals", "renewals_renewed", "renewals_expanded", "valid_events",
    "quarantined_events", "raw_events",
}  # fmt: skip

# Metrics defined with fill_nulls_with: 0 read 0 on rows that only other metrics have.
FILLED_METRICS = {"valid_events", "quarantined_events"}

# The direct queries, one per mart, with `{keys}` for the grouping columns (DuckDB SQL).
MART_QUERIES = {
    "fct_account_milestones": """
        select
            {keys},
            count(*) as account_milestones,
            count(case when status = 'completed' then 1 end) as milestones_completed,
            count(case when status = 'completed' then 1 end) / count(*) as milestone_completion_rate,
            percentile_cont(0.5) within group (
                order by case when days_from_previous < 0 then 0 else days_from_previous end
            ) as median_days_to_milestone,
            percentile_cont(0.75) within group (
                order by case when days_from_previous < 0 then 0 else days_from_previous end
            ) as p75_days_to_milestone
        from main_marts.fct_account_milestones
        group by all
    """,
    "mart_intervention_queue": """
        select
            {keys},
            count(*) as stalled_accounts,
            sum(arr) as stalled_arr,
            avg(days_overdue) as average_days_overdue
        from main_marts.mart_intervention_queue
        group by all
    """,
    "dim_account_milestone_status": """
        select
            {keys},
            count(*) as accounts,
            sum(arr) as account_arr,
            avg(health_score) as average_health_score
        from main_marts.dim_account_milestone_status
        group by all
    """,
    "fct_renewal_health_scores": """
        select
            {keys},
            count(*) as renewals,
            count(case when not is_churned then 1 end) as renewals_renewed,
            count(case when is_expansion then 1 end) as renewals_expanded,
            count(case when not is_churned then 1 end) / count(*) as renewal_rate,
            count(case when is_expansion then 1 end) / count(*) as expansion_rate
        from main_marts.fct_renewal_health_scores
        group by all
    """,
    # landed rows = valid + quarantined (docs/rules.md §5); the segment comes from the customer record
    "fct_events + fct_event_contract_violations": """
        with landed as (
            select account_id, cast(received_at as date) as arrived_on, 0 as is_quarantined
            from main_marts.fct_events
            union all
            select account_id, cast(loaded_at as date), 1
            from main_marts.fct_event_contract_violations
        )
        select
            {keys},
            count(*) - sum(is_quarantined) as valid_events,
            sum(is_quarantined) as quarantined_events,
            count(*) as raw_events,
            avg(is_quarantined) as quarantine_rate
        from landed
        left join main_marts.dim_account_milestone_status as accounts
            on landed.account_id = accounts.account_id
        group by all
    """,
}

# Per mart: its segment column, and the column MetricFlow's metric_time reads (the agg_time_dimension).
SEGMENT_AND_TIME = {
    "fct_account_milestones": ("segment", "cast(clock_started_at as date)"),
    "mart_intervention_queue": ("segment", "first_due_on"),
    "dim_account_milestone_status": ("segment", "cast(signed_up_at as date)"),
    "fct_renewal_health_scores": ("segment", "renewal_date"),
    "fct_events + fct_event_contract_violations": ("accounts.segment", "arrived_on"),
}

ALL_METRICS = [
    "account_milestones", "milestones_completed", "milestone_completion_rate", "median_days_to_milestone",
    "p75_days_to_milestone", "stalled_accounts", "stalled_arr", "average_days_overdue", "accounts",
    "account_arr", "average_health_score", "renewals", "renewals_renewed", "renewals_expanded",
    "renewal_rate", "expansion_rate", "valid_events", "quarantined_events", "raw_events", "quarantine_rate",
]  # fmt: skip

# name -> the mf query arguments (besides --csv), and the mf output columns that key its rows
MF_QUERIES = {
    "by_segment": (
        ["--metrics", ",".join(ALL_METRICS), "--group-by", "account__segment"],
        ["account__segment"],
    ),
    "by_day_and_segment": (
        ["--metrics", ",".join(ALL_METRICS), "--group-by", "metric_time__day,account__segment"],
        ["metric_time__day", "account__segment"],
    ),
    "completion_rate_by_segment_and_milestone": (
        ["--saved-query", "completion_rate_by_segment_and_milestone"],
        ["account__segment", "account_milestone__sequence", "account_milestone__milestone_id"],
    ),
    "stalled_arr_by_segment_over_time": (
        ["--saved-query", "stalled_arr_by_segment_over_time"],
        ["metric_time__month", "account__segment"],
    ),
    "accounts_by_health_band_by_segment": (
        ["--saved-query", "accounts_by_health_band_by_segment"],
        ["account__segment", "account__health_band"],
    ),
    "renewal_rate_by_milestone_depth": (
        ["--saved-query", "renewal_rate_by_milestone_depth"],
        ["account__segment", "renewal__milestone_depth"],
    ),
    "quarantine_rate_by_segment": (["--saved-query", "quarantine_rate_by_segment"], ["account__segment"]),
}

# Runs each argument list through the mf command line, in order; a failing command exits non-zero.
MF_BATCH = """
import json, sys
from dbt_metricflow.cli.main import cli
for arguments in json.loads(sys.argv[1]):
    print("$ mf " + " ".join(arguments), flush=True)
    cli.main(arguments, prog_name="mf", standalone_mode=False)
"""

Key = tuple[str, ...]
Rows = dict[Key, dict[str, str]]


def _text(value: object) -> str:
    """A grouping value as mf's CSV writes it (dates as midnight timestamps, null as empty)."""
    if value is None:
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return str(value)


def _stand_in_project(folder: Path, session_target: Path) -> Path:
    """A folder mf takes for the project: its dbt_project.yml, and target/ parsed for the sample warehouse."""
    target = folder / "target"
    target.mkdir(parents=True)
    state = session_target / "partial_parse.msgpack"
    if state.exists():  # dbt then re-parses only what changed since the session's build
        shutil.copy(state, target)
    with environment(DBT_TARGET_PATH=str(target)):
        outcome = run_dbt(["parse"], as_of=SAMPLE_END)
    assert outcome.success, outcome.failed
    (folder / "dbt_project.yml").symlink_to(PROJECT_DIR / "dbt_project.yml")
    return folder


def _run_mf(project: Path, commands: list[list[str]]) -> str:
    variables = {**os.environ, "DBT_PROFILES_DIR": str(profiles_dir()), "DBT_PROJECT_DIR": str(project)}
    completed = subprocess.run(
        [sys.executable, "-c", MF_BATCH, json.dumps(commands)],
        cwd=project,
        env=variables,
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"mf failed:\n{output[-4000:]}"
    return output


def _read_csv(path: Path, key_columns: list[str]) -> Rows:
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    keyed = {tuple(row[column] for column in key_columns): row for row in rows}
    assert len(keyed) == len(rows), f"{path.name}: a key repeats"
    return keyed


@pytest.fixture(scope="module")
def mf_run(
    built_duckdb: Path, dbt_artifacts: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, dict]:
    """(the mf output, {query name: rows by key}) of validate-configs and every query of MF_QUERIES."""
    folder = tmp_path_factory.mktemp("metricflow")
    project = _stand_in_project(folder / "project", dbt_artifacts / "target")
    commands = [["validate-configs"]]
    for name, (arguments, _) in MF_QUERIES.items():
        commands.append(["query", *arguments, "--csv", str(folder / f"{name}.csv"), "--quiet"])
    output = _run_mf(project, commands)
    results = {name: _read_csv(folder / f"{name}.csv", keys) for name, (_, keys) in MF_QUERIES.items()}
    return output, results


@pytest.fixture(scope="module")
def warehouse(built_duckdb: Path, mf_run: tuple[str, dict]) -> Iterator[duckdb.DuckDBPyConnection]:
    """The sample warehouse, opened once mf is done with it."""
    with duckdb.connect(str(built_duckdb), read_only=True) as connection:
        yield connection


def _expected(
    connection: duckdb.DuckDBPyConnection, mart: str, keys: list[str]
) -> tuple[list[str], dict[Key, dict]]:
    """(the metrics, their values by key) of the mart grouped by the key expressions, keyed like mf's rows."""
    cursor = connection.execute(MART_QUERIES[mart].format(keys=", ".join(keys)))
    columns = [description[0] for description in cursor.description]
    expected = {}
    for row in cursor.fetchall():
        values = dict(zip(columns, row, strict=True))
        expected[tuple(_text(value) for value in row[: len(keys)])] = values
    return columns[len(keys) :], expected


def _mismatches(actual: Rows, expected: dict[Key, dict], metrics: list[str]) -> list[str]:
    """Every key and metric where mf and the direct query differ (a key only mf has: the metric empty)."""
    problems = []
    for key in sorted(set(actual) | set(expected)):
        if key not in actual:
            problems.append(f"{key}: missing from mf")
            continue
        for metric in metrics:
            got = actual[key][metric]
            want = expected[key][metric] if key in expected else (0 if metric in FILLED_METRICS else None)
            if not _same(got, want, exact=metric in EXACT_METRICS):
                problems.append(f"{key} {metric}: mf {got!r}, mart {want!r}")
    return problems


def _same(got: str, want: object, *, exact: bool) -> bool:
    if want is None or got == "":
        return want is None and got == ""
    if exact:
        return Decimal(got) == Decimal(str(want))
    return abs(float(got) - float(want)) <= TOLERANCE


def test_configs_validate(mf_run: tuple[str, dict]) -> None:
    output, _ = mf_run
    assert "Successfully validated the semantics of built manifest" in output
    assert "Successfully validated metrics against data warehouse" in output


@pytest.mark.parametrize("mart", sorted(MART_QUERIES))
def test_metrics_by_segment_equal_the_mart(
    mf_run: tuple[str, dict], warehouse: duckdb.DuckDBPyConnection, mart: str
) -> None:
    segment, _ = SEGMENT_AND_TIME[mart]
    metrics, expected = _expected(warehouse, mart, [segment])
    assert _mismatches(mf_run[1]["by_segment"], expected, metrics) == []


@pytest.mark.parametrize("mart", sorted(MART_QUERIES))
def test_metrics_by_day_and_segment_equal_the_mart(
    mf_run: tuple[str, dict], warehouse: duckdb.DuckDBPyConnection, mart: str
) -> None:
    segment, day = SEGMENT_AND_TIME[mart]
    metrics, expected = _expected(warehouse, mart, [day, segment])
    assert _mismatches(mf_run[1]["by_day_and_segment"], expected, metrics) == []


# saved query -> the mart it summarizes and the key expressions matching its group-by, in order
SAVED_QUERY_MARTS = {
    "completion_rate_by_segment_and_milestone": (
        "fct_account_milestones",
        ["segment", "sequence", "milestone_id"],
    ),
    "stalled_arr_by_segment_over_time": (
        "mart_intervention_queue",
        ["date_trunc('month', first_due_on)", "segment"],
    ),
    "accounts_by_health_band_by_segment": ("dim_account_milestone_status", ["segment", "health_band"]),
    "renewal_rate_by_milestone_depth": ("fct_renewal_health_scores", ["segment", "milestones_completed"]),
    "quarantine_rate_by_segment": ("fct_events + fct_event_contract_violations", ["accounts.segment"]),
}


@pytest.mark.parametrize("saved_query", sorted(SAVED_QUERY_MARTS))
def test_saved_queries_equal_the_mart(
    mf_run: tuple[str, dict], warehouse: duckdb.DuckDBPyConnection, saved_query: str
) -> None:
    mart, keys = SAVED_QUERY_MARTS[saved_query]
    actual = mf_run[1][saved_query]
    assert actual, f"{saved_query} returned no rows"
    columns = next(iter(actual.values()))
    metrics, expected = _expected(warehouse, mart, keys)
    queried = [metric for metric in metrics if metric in columns]
    assert queried, f"{saved_query} has none of the metrics of {mart}"
    assert _mismatches(actual, expected, queried) == []


def test_completion_rate_and_velocity_equal_the_baselines_mart(
    mf_run: tuple[str, dict], warehouse: duckdb.DuckDBPyConnection
) -> None:
    """Through the semantic layer or from mart_segment_milestone_baselines: the same numbers."""
    rows = warehouse.execute(
        """
        select
            segment, sequence, milestone_id,
            completion_rate, median_days_from_previous, p75_days_from_previous
        from main_marts.mart_segment_milestone_baselines
        where accounts_total > 0
        """
    ).fetchall()
    names = ["milestone_completion_rate", "median_days_to_milestone", "p75_days_to_milestone"]
    expected = {
        tuple(_text(value) for value in row[:3]): dict(zip(names, row[3:], strict=True)) for row in rows
    }
    actual = mf_run[1]["completion_rate_by_segment_and_milestone"]
    assert _mismatches(actual, expected, names) == []
