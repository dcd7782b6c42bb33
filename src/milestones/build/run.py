"""`milestones build`: the dbt build (seeds, models, snapshots, tests), then the steps that read it."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime

from milestones.build.dbt import DbtOutcome, FailedNode, dbt_vars, run_dbt
from milestones.delivery.publish import publish
from milestones.validation import validate_warehouse
from milestones.warehouse import connect

MAX_FAILURE_ROWS = 20


def run_build(
    as_of: date | None = None,
    full_refresh: bool = False,
    target: str | None = None,
    select: str | None = None,
) -> int:
    """Exit code: 0 when everything passed, 1 when a model, test or validation failed."""
    as_of = as_of or datetime.now(UTC).date()
    command = ["build"]
    if full_refresh:
        command.append("--full-refresh")
    if select:
        command += ["--select", select]
    outcome = run_dbt(command, target=target, variables=dbt_vars(as_of))
    if not outcome.success:
        print_failures(outcome, target)
        return 1
    # the data validations read the marts the build just wrote (Data Docs under reports/data_docs)
    validation = validate_warehouse(target=target)
    print(validation.summary())
    if not validation.ok:
        return 1
    # only a green build reaches the BI tools: the serving file is swapped in whole (DuckDB only)
    served = publish(target)
    if served is not None:
        print(f"published for BI tools: {served}")
    return 0


def print_failures(outcome: DbtOutcome, target: str | None) -> None:
    """Say what failed, with the rows of failing tests that store them (seed validation names rows)."""
    for failed in outcome.failed:
        sys.stderr.write(f"build failed: {failed.unique_id}: {failed.message}\n")
        for line in _failure_rows(failed, target):
            sys.stderr.write(f"    {line}\n")


def _failure_rows(failed: FailedNode, target: str | None) -> list[str]:
    if not failed.failures_relation or failed.status != "fail":
        return []
    try:
        with connect(target, read_only=True) as connection:
            cursor = connection.cursor()
            cursor.execute(f"select * from {failed.failures_relation} limit {MAX_FAILURE_ROWS}")
            columns = [description[0] for description in cursor.description]
            rows = cursor.fetchall()
    except Exception as error:  # the failure itself was already reported; this only adds detail
        return [f"(could not read the failing rows: {error})"]
    if "problem" in columns:
        position = columns.index("problem")
        return [str(row[position]) for row in rows]
    return [", ".join(f"{name}={value}" for name, value in zip(columns, row, strict=True)) for row in rows]
