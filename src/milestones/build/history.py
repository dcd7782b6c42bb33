"""`milestones history`: fill past days of the customer record's history, point in time.

Each `milestones build` writes its as-of day to the history (int_accounts__status_history, published
as fct_account_status_history). This command fills the days before it (docs/history.md): each day
holds what a build as of that day would have written for the same data, from the events that
occurred on or before it.

It does not run the pipeline once per day. The health score's machinery is point in time already
(the backtest scores renewals on past dates): the history days become scoring points
(int_health__history_points), and one dbt run computes the milestone clock, the health
score and the stall of every account on every day of a batch, set-based. Batches keep each run's
memory bounded and give the progress bar its steps. The data is the warehouse as last built: the
runs use its as-of date, so its other tables stay as they are. A last run without history days puts
the scoring models back as the build left them, writes the as-of day again, rebuilds what reads the
history and runs their tests; on DuckDB the serving file is then published again, unless the
warehouse was left by an analysis build (milestones.delivery.guard: delivery never moves back).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from milestones.build.dbt import UNIT_TEST_EXCLUSION, DbtOutcome, run_dbt
from milestones.build.run import failure_summary
from milestones.delivery.guard import decide
from milestones.delivery.publish import publish
from milestones.errors import ArgumentError, UserError
from milestones.warehouse import DuckDBWarehouse, connect, resolve

DEFAULT_GRAIN = "day"
# account-days per dbt run, which bounds the rows a run holds (about seven clock rows and up to a few
# hundred engagement-window rows per account-day); at most a quarter's days, so progress shows
POINTS_PER_BATCH = 1_000_000
MAX_BATCH_DAYS = 92
# the history days' scoring points, and every model between them and the history (the health
# score's point-in-time models); the history's readers are rebuilt once, at the end
FILL_SELECTION = ("int_health__history_points", "int_health__scoring_points+,+int_accounts__status_history")
FINISH_SELECTION = (*FILL_SELECTION, "int_accounts__status_history+")
# how a run's days reach dbt (macros/health/history_days.sql says why not a dbt var)
DAYS_VARIABLE = "MILESTONES_HISTORY_DAYS"


@dataclass(frozen=True)
class HistoryPlan:
    as_of: date  # the day the warehouse was built as of: the runs keep it
    accounts: int  # accounts on the customer record that day
    days: list[date]
    batches: list[list[date]]


def history_days(start: date, end: date, grain: str = DEFAULT_GRAIN) -> list[date]:
    """The days to fill: every day from start to end, or (week) start and every 7th day after it,
    and end."""
    step = 7 if grain == "week" else 1
    days = [start + timedelta(days=offset) for offset in range(0, (end - start).days + 1, step)]
    if days and days[-1] != end:
        days.append(end)
    return days


def batch_size(accounts: int, requested: int | None = None) -> int:
    """Days per dbt run: as requested, else as many as keep a run under POINTS_PER_BATCH account-days."""
    if requested:
        return requested
    return max(1, min(MAX_BATCH_DAYS, POINTS_PER_BATCH // max(accounts, 1)))


def in_batches(days: Sequence[date], size: int) -> list[list[date]]:
    return [list(days[index : index + size]) for index in range(0, len(days), size)]


def plan_history(
    start: date,
    end: date | None,
    grain: str = DEFAULT_GRAIN,
    target: str | None = None,
    batch_days: int | None = None,
) -> HistoryPlan:
    """Check the range against the warehouse and cut it into batches (bad ranges: ArgumentError)."""
    as_of, accounts = built_state(target)
    end = end or as_of
    if end > as_of:
        raise ArgumentError(
            f"--to {end} is after the day the warehouse was built as of ({as_of}): "
            f"run `milestones build --as-of {end}` first"
        )
    if start > end:
        raise ArgumentError(f"--from {start} is after --to {end}")
    days = history_days(start, end, grain)
    return HistoryPlan(as_of, accounts, days, in_batches(days, batch_size(accounts, batch_days)))


def built_state(target: str | None = None) -> tuple[date, int]:
    """The as-of date of the last build and its accounts, from the customer record it published."""
    warehouse = resolve(target)
    query = f"select max(as_of_date), count(*) from {warehouse.schema}_marts.dim_account_milestone_status"
    with connect(target, read_only=True) as connection:
        cursor = connection.cursor()
        try:
            cursor.execute(query)
            as_of, accounts = cursor.fetchone()
        except Exception:  # no customer record: never built (DuckDB and psycopg2 raise differently)
            as_of = None
        finally:
            cursor.close()
    if as_of is None:
        raise UserError(f"{warehouse.describe()} has no customer record yet: run `milestones build` first")
    return as_of, accounts


def run_history(
    start: date,
    end: date | None = None,
    grain: str = DEFAULT_GRAIN,
    target: str | None = None,
    batch_days: int | None = None,
) -> int:
    """Fill the days, batch by batch, with a progress bar; 0 when every run and test passed, else 1."""
    plan = plan_history(start, end, grain, target, batch_days)  # reads the warehouse: creates none
    warehouse = resolve(target)
    if isinstance(warehouse, DuckDBWarehouse):
        warehouse.connect().close()  # a file another process holds fails here, naming the process
    if not plan.days:
        print("history: no days to fill")
        return 0
    print(
        f"history: {len(plan.days)} days from {plan.days[0]} to {plan.days[-1]} ({grain}), "
        f"{plan.accounts:,} accounts, in {len(plan.batches)} dbt run(s), "
        f"from the warehouse as built as of {plan.as_of}"
    )
    failed = _fill(plan, target)
    if failed is not None:
        _print_failures(failed, target)
        return 1
    with _days_for_dbt([]):
        outcome = run_dbt(
            ["build", *UNIT_TEST_EXCLUSION, "--select", *FINISH_SELECTION],
            target=target,
            as_of=plan.as_of,
        )
    if not outcome.success:
        _print_failures(outcome, target)
        return 1
    print(f"history: {summarize(target)}")
    # the serving file follows delivery: never from a warehouse left by an analysis build
    if decide(plan.as_of, target=target).delivers:
        served = publish(target)
        if served is not None:
            print(f"published for BI tools: {served}")
    else:
        print(
            f"history: the warehouse is as of {plan.as_of}, before the last delivery: serving file unchanged"
        )
    return 0


def _fill(plan: HistoryPlan, target: str | None) -> DbtOutcome | None:
    """Run dbt once per batch under a progress bar; the outcome of the first failed run, if any."""
    columns = (
        TextColumn("[bold]history[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as progress:
        task = progress.add_task("", total=len(plan.days))
        for batch in plan.batches:
            progress.update(task, description=f"{batch[0]} to {batch[-1]}")
            with _days_for_dbt(batch):
                outcome = run_dbt(["run", "--select", *FILL_SELECTION], target=target, as_of=plan.as_of)
            if not outcome.success:
                return outcome
            progress.advance(task, len(batch))
    return None


def _print_failures(outcome: DbtOutcome, target: str | None) -> None:
    """What failed, in the words `milestones build` uses for its own failures."""
    lines = failure_summary(outcome, target)
    lines[0] = lines[0].replace("milestones build:", "milestones history:", 1)
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


@contextmanager
def _days_for_dbt(days: Sequence[date]) -> Iterator[None]:
    """The days the dbt runs of a block fill (none: a build's own day), for the dbt child process."""
    saved = os.environ.get(DAYS_VARIABLE)
    os.environ[DAYS_VARIABLE] = ",".join(day.isoformat() for day in days)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(DAYS_VARIABLE, None)
        else:
            os.environ[DAYS_VARIABLE] = saved


def summarize(target: str | None = None) -> str:
    """What the history holds now: days, first and last day, rows."""
    schema = resolve(target).schema
    with connect(target, read_only=True) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "select count(distinct as_of_date), min(as_of_date), max(as_of_date), count(*) "
            f"from {schema}_marts.fct_account_status_history"
        )
        days, first, last, rows = cursor.fetchone()
        cursor.close()
    return f"fct_account_status_history holds {days} days ({first} to {last}), {rows:,} rows"
