"""`milestones build`: the dbt build (seeds, models, snapshots, tests), then the steps that read it."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections import Counter
from datetime import UTC, date, datetime

from milestones.build.dbt import (
    UNIT_TEST_EXCLUSION,
    DbtOutcome,
    FailedNode,
    first_meaningful_line,
    node_labels,
    read_manifest,
    run_dbt,
)
from milestones.build.enforced import guaranteed_tests, read_constraints, schemas_of_tested_models
from milestones.build.freshness import check_freshness
from milestones.build.landing_quarantine import quarantine_summary
from milestones.build.optional_seeds import (
    MAX_ROWS,
    OPTIONAL_SEED_REFERENCE_TAG,
    WITHHELD_DELIVERY,
    optional_seed_problems,
    withheld_delivery,
)
from milestones.build.unchanged import (
    BuildInputs,
    current_inputs,
    nodes_built_from_files_alone,
    record_build,
    tested_since_load_id,
    unchanged_since,
)
from milestones.delivery.guard import Decision, decide, record_if_delivered, run_results
from milestones.delivery.publish import publish
from milestones.validation import validate_warehouse
from milestones.validation.runner import import_great_expectations
from milestones.warehouse import DuckDBWarehouse, connect, describe_lock, resolve

# a failed build ends with one screen: at most this many failed nodes, each with this many rows
MAX_FAILED_NODES = 5
MAX_FAILURE_ROWS = 10
# the event contract's gate (models/intermediate/events/int_events__contract_gate.sql)
CONTRACT_GATE_TEST = "test.milestone_warehouse.quarantined_share_below_error_threshold."


def run_build(
    as_of: date | None = None,
    full_refresh: bool = False,
    target: str | None = None,
    select: str | None = None,
    move_delivery_back: bool = False,
) -> int:
    """Exit code: 0 when everything passed, 1 when a model, test or validation failed.

    A build as of a day earlier than the last delivery is an analysis build (docs/rules.md §6,
    milestones.delivery.guard): no CRM snapshot, no publish, one line saying so; unless
    `move_delivery_back` asks to deliver it."""
    _check_warehouse(target)
    as_of = as_of or datetime.now(UTC).date()
    delivery = decide(as_of, move_back=move_delivery_back, target=target)
    if not check_freshness(target, delivery.delivers):  # landing freshness (docs/rules.md §3)
        return 1
    inputs = current_inputs(as_of, target)
    if _can_stop(inputs, full_refresh, select, delivery, target):
        return 0
    withheld = withheld_delivery(delivery, target, full_refresh)
    command = ["build", *UNIT_TEST_EXCLUSION]
    if full_refresh:
        command.append("--full-refresh")
    if select:
        command += ["--select", select]
    command += WITHHELD_DELIVERY if withheld else delivery.dbt_arguments()
    # after the last green build, the event tables' tests check the rows written since; else every row
    tested_since = None if full_refresh or select else tested_since_load_id(inputs, target)
    if tested_since is not None:  # a build after a green one: its validation reads a day of rows
        _import_validation_in_background()
        command += _daily_exclusion(target)
    outcome = run_dbt(command, target=target, as_of=as_of, tested_since_load_id=tested_since)
    if not withheld:
        record_if_delivered(delivery, outcome.success, run_results(outcome.run_results_path), target)
    if not outcome.success:
        print_failures(outcome, target)
        return 1
    seed_problems = optional_seed_problems(outcome)
    if seed_problems.broken_rules or withheld:  # the tables are built without those rows (docs/rules.md §4)
        print_bad_seed_rows(seed_problems.broken_rules or withheld, target)
        return 1
    for node in seed_problems.unknown_names:  # rows the models ignore
        print("\n".join(f"warning: {row}" for row in _failure_rows(node, target)[:MAX_ROWS]))
    # the data validations read the rows the build just (re)checked, every row after a full refresh
    # (Data Docs under reports/data_docs)
    validation = validate_warehouse(target=target, everything=full_refresh)
    if not validation.ok:  # the failure message, like a failed dbt build's, is what stderr holds
        sys.stderr.write(f"milestones build: {validation.summary()}\n")
        return 1
    print(validation.summary())
    print(quarantine_summary(target))  # bad landing rows never pass unnoticed (docs/rules.md §3)
    summary = delivery.summary()
    if not delivery.delivers:
        print(summary)
        return 0
    # only a green build reaches the BI tools: the serving file is swapped in whole (DuckDB only)
    served = publish(target)
    if served is not None:
        print(f"published for BI tools: {served}")
    if select is None and not delivery.moves_back:  # what the next build compares with
        record_build(inputs, outcome.run_results_path, target)
    if summary:
        print(summary)
    return 0


def _can_stop(
    inputs: BuildInputs, full_refresh: bool, select: str | None, delivery: Decision, target: str | None
) -> bool:
    """Nothing changed since the last green build (milestones.build.unchanged): say so; dbt does not start."""
    if full_refresh or select is not None or not delivery.delivers or delivery.moves_back:
        return False
    built_at = unchanged_since(inputs, target)
    if built_at is None:
        return False
    print(
        f"milestones build: nothing changed since the build of {built_at:%Y-%m-%d %H:%M} UTC (as of "
        f"{inputs.as_of}, no new load, the same project files, no dbt run since): the warehouse and "
        "the serving file stand; --full-refresh rebuilds anyway"
    )
    return True


def _daily_exclusion(target: str | None) -> list[str]:
    """After a green build from the same files, leave out:
    - the seeds, models and tests that read only those files (milestones.build.unchanged); they stand
      as that build left them;
    - the tests that the warehouse's constraints guarantee (milestones.build.enforced).
    The manifest of that build describes this one: the files are the same."""
    manifest = read_manifest()
    names = nodes_built_from_files_alone(manifest, {OPTIONAL_SEED_REFERENCE_TAG})
    constraints = read_constraints(schemas_of_tested_models(manifest), target)
    names = sorted({*names, *guaranteed_tests(manifest, constraints)})
    # only those nodes: by default dbt would also leave out every test one of them feeds, such as a
    # relationships test from a mart to a seed, which checks the mart's new rows
    return ["--indirect-selection", "empty", "--exclude", *names] if names else []


def _import_validation_in_background() -> None:
    """Import Great Expectations while dbt works in its own process: on a day's build the import is
    most of the validation's time. Not on a full build, which validates every row anyway and whose
    dbt phase holds the most memory. A failed import is reported by the validation's own import."""

    def import_quietly() -> None:
        with contextlib.suppress(Exception):
            import_great_expectations()

    threading.Thread(target=import_quietly, name="import-great-expectations", daemon=True).start()


def _check_warehouse(target: str | None) -> None:
    """Fail before dbt starts (and spends its parse time) on an unknown target (exit 2) or a DuckDB
    file another process holds (exit 1, naming the process)."""
    warehouse = resolve(target)
    if isinstance(warehouse, DuckDBWarehouse):
        warehouse.connect().close()


def print_failures(outcome: DbtOutcome, target: str | None) -> None:
    """Say what failed on stderr, in one screen: a headline, where dbt's full log is, then each failed
    node with the first line of its message and the rows of failing tests that store them (seed
    validation names the rows)."""
    sys.stderr.write("\n".join(failure_summary(outcome, target)) + "\n")
    sys.stderr.flush()


def print_bad_seed_rows(nodes: list[FailedNode], target: str | None) -> None:
    sys.stderr.write("milestones build: " + "\n".join(bad_seed_row_lines(nodes, target)) + "\n")
    sys.stderr.flush()


def bad_seed_row_lines(nodes: list[FailedNode], target: str | None) -> list[str]:
    """An optional seed's rows that break its rules, in a few lines: the first tests' stored rows."""
    rows = [row for node in nodes for row in _failure_rows(node, target)]
    lines = [
        "an optional seed has rows that break its rules (docs/rules.md §4);"
        " the tables were built without them and nothing was delivered"
    ]
    lines += [f"  {row}" for row in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        lines.append(f"  and {len(rows) - MAX_ROWS} more: see the dbt log")
    return lines


def failure_summary(outcome: DbtOutcome, target: str | None) -> list[str]:
    lines = [f"milestones build: {_headline(outcome)}"]
    if outcome.log_path is not None:
        lines.append(f"  full dbt log: {outcome.log_path}")
    nodes = [failed for failed in outcome.failed if failed.resource_type != "invocation"]
    # past the contract's error rate the gate's sentence (share, top reasons) says it all (docs/rules.md §5)
    gate = [failed for failed in nodes if failed.unique_id.startswith(CONTRACT_GATE_TEST)]
    shown = gate or nodes[:MAX_FAILED_NODES]
    labels = node_labels([failed.unique_id for failed in shown])
    for failed in shown:
        lines.append(f"  {labels[failed.unique_id]}: {_what_failed(failed)}")
        lines += [f"    {row}" for row in _failure_rows(failed, target)]
    if len(nodes) > len(shown):
        lines.append(f"  and {len(nodes) - len(shown)} more failed: see the dbt log")
    return lines


def _headline(outcome: DbtOutcome) -> str:
    stopped = [failed for failed in outcome.failed if failed.resource_type == "invocation"]
    if stopped:
        message = stopped[0].message
        return f"dbt stopped: {describe_lock(message) or first_meaningful_line(message, keep_header=True)}"
    kinds = Counter(failed.resource_type.replace("_", " ") for failed in outcome.failed)
    failed = ", ".join(f"{count} {kind}{'s' if count > 1 else ''}" for kind, count in sorted(kinds.items()))
    skipped = f"; {outcome.skipped} skipped" if outcome.skipped else ""
    return f"{failed} failed{skipped}"


def _what_failed(failed: FailedNode) -> str:
    if failed.status == "fail" and failed.failures is not None:
        rows = f"{failed.failures} failing row{'s' if failed.failures != 1 else ''}"
        return f"{rows} in {failed.failures_relation}" if failed.failures_relation else rows
    return first_meaningful_line(failed.message) or failed.status


def _failure_rows(failed: FailedNode, target: str | None) -> list[str]:
    if not failed.failures_relation or failed.status != "fail":
        return []
    try:
        with connect(target, read_only=True) as connection:
            cursor = connection.cursor()
            cursor.execute(f"select * from {failed.failures_relation} limit {MAX_FAILURE_ROWS + 1}")
            columns = [description[0] for description in cursor.description]
            rows = cursor.fetchall()
    except Exception as error:  # the failure itself was already reported; this only adds detail
        return [f"(could not read the failing rows: {first_meaningful_line(str(error))})"]
    if "problem" in columns:
        position = columns.index("problem")
        shown = [str(row[position]) for row in rows[:MAX_FAILURE_ROWS]]
    else:
        shown = [
            ", ".join(f"{name}={value}" for name, value in zip(columns, row, strict=True)) for row in rows
        ]
        shown = shown[:MAX_FAILURE_ROWS]
    if len(rows) > MAX_FAILURE_ROWS:
        more = (failed.failures or len(rows)) - MAX_FAILURE_ROWS
        shown.append(f"... and {more} more row{'s' if more != 1 else ''}")
    return shown
