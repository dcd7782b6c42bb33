"""Runs the generated suites with Great Expectations 1.x and builds Data Docs.

One ephemeral GX context per validation: a pandas datasource with one dataframe asset per suite, one
validation definition and one checkpoint per suite. Each batch read from the warehouse is a checkpoint
run; the results of a suite's batches are added up here (so `mostly` applies to the whole table, not
to one batch) and reported per expectation, naming the event and property it is about. Data Docs are
then built once, to `reports/data_docs/` unless told otherwise. A validation with no rows to read
(nothing arrived since the last one) starts no GX context and leaves the last Data Docs as they are.
"""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from milestones import paths
from milestones.progress import progress
from milestones.validation.batches import WarehouseReader, dialect_for
from milestones.validation.scope import (
    checked_state,
    decide_scope,
    last_validation,
    record_validation,
    suites_fingerprint,
)
from milestones.validation.suites import Check, Suite, contract_rate_min_rows, generate_suites

DATA_DOCS_SITE = "milestones"
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class FailedExpectation:
    suite: str
    expectation: str
    rule: str
    event_name: str | None
    property: str | None
    column: str | None
    unexpected_count: int
    element_count: int
    examples: tuple[Any, ...] = ()
    error: str | None = None

    def describe(self) -> str:
        about = []
        if self.event_name:
            about.append(f"event {self.event_name}")
        if self.property:
            about.append(f"property {self.property}")
        subject = f" ({', '.join(about)})" if about else ""
        if self.error:
            return f"{self.suite}{subject}: {self.rule}: could not be evaluated: {self.error}"
        examples = f", e.g. {', '.join(repr(value) for value in self.examples)}" if self.examples else ""
        return (
            f"{self.suite}{subject}: {self.rule} [{self.expectation} on {self.column}]: "
            f"{self.unexpected_count} of {self.element_count} rows unexpected{examples}"
        )


@dataclass
class SuiteOutcome:
    suite: str
    rows: int
    batches: int
    expectations: int
    failed: int


@dataclass
class ValidationReport:
    ok: bool
    failed: list[FailedExpectation] = field(default_factory=list)
    suites: list[SuiteOutcome] = field(default_factory=list)
    data_docs_dir: Path | None = None
    data_docs_index: Path | None = None
    scope: str = "every row"

    @property
    def expectations_evaluated(self) -> int:
        return sum(outcome.expectations for outcome in self.suites if outcome.rows)

    def summary(self) -> str:
        validated = [outcome for outcome in self.suites if outcome.rows]
        lines = [
            f"validation {'passed' if self.ok else 'FAILED'}: {self.expectations_evaluated} expectations in "
            f"{len(validated)} suites ({len(self.suites) - len(validated)} without rows), "
            f"{len(self.failed)} failed; read {self.scope}"
        ]
        lines += [f"  {failure.describe()}" for failure in self.failed]
        if self.data_docs_index:
            lines.append(f"Data Docs: {self.data_docs_index}")
        return "\n".join(lines)


def default_data_docs_dir() -> Path:
    return paths.reports_dir() / "data_docs"


def validate_warehouse(
    target: str | None = None,
    data_docs_dir: Path | None = None,
    *,
    seeds_dir: Path | None = None,
    suites: list[Suite] | None = None,
    log: Callable[[str], None] | None = None,
    min_rows: int | None = None,
    everything: bool = False,
) -> ValidationReport:
    """Validate the built warehouse of a dbt target against the generated suites: the event rows the
    build (re)checked since the last passed validation, or every row with `everything` (and whenever
    the suites or the seeds changed: milestones.validation.scope).

    `seeds_dir` points the suite generator at another copy of the tracking plan (default: seeds/).
    A tolerated share (`mostly`) is judged only on at least `min_rows` rows (default: the dbt var
    `contract_rate_min_rows`, as dbt's violation-rate tests do).
    Data Docs go to `data_docs_dir` (default: reports/data_docs/ under MILESTONES_REPORTS_DIR).
    """
    from milestones.warehouse import connect, resolve

    suites = suites if suites is not None else generate_suites(seeds_dir=seeds_dir)
    min_rows = contract_rate_min_rows() if min_rows is None else min_rows
    data_docs_dir = (data_docs_dir or default_data_docs_dir()).resolve()
    say = log or (lambda message: None)
    context = None  # Great Expectations starts only when a suite has rows to read
    started = datetime.now(UTC)
    report = ValidationReport(ok=True, data_docs_dir=data_docs_dir)
    warehouse = resolve(target)
    last = last_validation(warehouse)
    with (
        connect(target, read_only=True) as connection,
        progress("validate", len(suites), unit="suites") as bar,
    ):
        state = checked_state(connection, warehouse)
        scope = decide_scope(last, state, suites_fingerprint(suites), everything)
        report.scope = scope.describe()
        reader = WarehouseReader(connection, dialect_for(warehouse), since_load_id=scope.since_load_id)
        for suite in suites:
            try:
                rows = reader.count(suite.dataset)
            except Exception as error:  # the table is missing or unreadable: the suite fails as a whole
                if reader.dialect.name == "postgres":
                    connection.rollback()
                report.failed.append(_unreadable(suite, error))
                report.suites.append(SuiteOutcome(suite.name, 0, 0, len(suite.checks), len(suite.checks)))
                bar.advance()
                continue
            if rows == 0:
                report.suites.append(SuiteOutcome(suite.name, 0, 0, len(suite.checks), 0))
                bar.advance()
                continue
            context = context or _gx_context(data_docs_dir)
            checkpoint = _checkpoint(context, suite)
            totals = [_Totals() for _ in suite.checks]
            batches = 0
            for number, count, frame in reader.batches(suite.dataset, rows):
                batches = count
                say(f"validating {suite.name} batch {number} of {count} ({len(frame)} rows)")
                bar.update(detail=suite.name if count == 1 else f"{suite.name} batch {number} of {count}")
                result = _run_checkpoint(checkpoint, frame, suite.name, number, count, started)
                for totals_of_check, check_result in zip(totals, _results_in_order(result), strict=True):
                    totals_of_check.add(check_result)
                bar.advance(1 / count)
            failures = [
                totals_of_check.failure(suite.name, check)
                for check, totals_of_check in zip(suite.checks, totals, strict=True)
                if not totals_of_check.passed(check, min_rows)
            ]
            report.failed += failures
            report.suites.append(SuiteOutcome(suite.name, rows, batches, len(suite.checks), len(failures)))
    report.ok = not report.failed
    if context is not None:
        report.data_docs_index = _build_data_docs(context, data_docs_dir)
    elif (data_docs_dir / "index.html").exists():  # nothing read: the last Data Docs still stand
        report.data_docs_index = data_docs_dir / "index.html"
    if report.ok:  # the next validation reads after these rows; a failed one records nothing
        record_validation(warehouse, scope, sum(outcome.rows for outcome in report.suites))
    return report


# -- GX objects --------------------------------------------------------------------------------------


def import_great_expectations() -> Any:
    """Great Expectations, imported quietly. The import alone takes seconds (scipy, pandas, altair):
    `milestones build` calls this in a thread while dbt runs, so its validation starts at once."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    # Great Expectations imports pyspark (installed for the spark target) only to know its types;
    # pyspark's warning about the pandas version says nothing about a validation that never uses it
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    import great_expectations as gx
    import great_expectations.expectations  # what the suites are made of
    from great_expectations.execution_engine import pandas_execution_engine

    # GX marks each batch with a hash of every cell of its dataframe (a fifth of the validation of
    # every row at 10M events); nothing reads the mark: each batch is a dataframe validated once.
    # Below this many bytes a batch is hashed, so 0 hashes none.
    pandas_execution_engine.HASH_THRESHOLD = 0
    return gx


def _gx_context(data_docs_dir: Path) -> Any:
    gx = import_great_expectations()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites={
            DATA_DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(data_docs_dir),
                },
            }
        },
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    context.data_sources.add_pandas("warehouse")
    return context


def to_gx_expectation(check: Check, suite_name: str, index: int = 0) -> Any:
    import great_expectations.expectations as gxe

    meta: dict[str, Any] = {"suite": suite_name, "check": index, "rule": check.rule}
    if check.event_name:
        meta["event_name"] = check.event_name
    if check.property:
        meta["property"] = check.property
    return getattr(gxe, check.expectation)(**check.kwargs, meta=meta, notes=_notes(check))


def _notes(check: Check) -> str:
    about = " ".join(part for part in (check.event_name, check.property) if part)
    return f"{check.rule} ({about})" if about else check.rule


def _checkpoint(context: Any, suite: Suite) -> Any:
    import great_expectations as gx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expectation_suite = context.suites.add(
            gx.ExpectationSuite(
                name=suite.name,
                expectations=[
                    to_gx_expectation(check, suite.name, index) for index, check in enumerate(suite.checks)
                ],
            )
        )
        asset = context.data_sources.get("warehouse").add_dataframe_asset(name=suite.name)
        batch_definition = asset.add_batch_definition_whole_dataframe(name="batch")
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=expectation_suite)
        )
        return context.checkpoints.add(
            gx.Checkpoint(
                name=suite.name,
                validation_definitions=[definition],
                actions=[],
                result_format={"result_format": "BASIC", "partial_unexpected_count": 20},
            )
        )


def _run_checkpoint(
    checkpoint: Any, frame: Any, suite_name: str, number: int, count: int, started: datetime
) -> Any:
    from great_expectations.core.run_identifier import RunIdentifier

    run_name = suite_name if count == 1 else f"{suite_name} batch {number} of {count}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = checkpoint.run(
            batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name=run_name, run_time=started)
        )
    (validation_result,) = result.run_results.values()
    return validation_result


def _results_in_order(validation_result: Any) -> list[Any]:
    """The expectation results in the suite's order (GX does not keep it: matched by `meta.check`)."""
    return sorted(validation_result.results, key=lambda result: result.expectation_config.meta["check"])


def _build_data_docs(context: Any, data_docs_dir: Path) -> Path | None:
    # Data Docs describe this validation only: clear what an earlier one left (only in a folder that
    # holds Data Docs, or is empty).
    if data_docs_dir.exists() and (data_docs_dir / "index.html").exists():
        shutil.rmtree(data_docs_dir)
    data_docs_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        context.build_data_docs(site_names=[DATA_DOCS_SITE])
    index = data_docs_dir / "index.html"
    return index if index.exists() else None


def _unreadable(suite: Suite, error: Exception) -> FailedExpectation:
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return FailedExpectation(
        suite=suite.name,
        expectation="(table readable)",
        rule=f"{suite.dataset.relation} can be read (was the build run?)",
        event_name=suite.dataset.event_name,
        property=None,
        column=None,
        unexpected_count=0,
        element_count=0,
        error=first_line,
    )


# -- adding up batches -------------------------------------------------------------------------------


@dataclass
class _Totals:
    element_count: int = 0
    unexpected_count: int = 0
    missing_count: int = 0
    all_batches_passed: bool = True
    error: str | None = None
    examples: list[Any] = field(default_factory=list)

    def add(self, result: Any) -> None:
        exception = result.exception_info or {}
        if exception.get("raised_exception"):
            self.error = self.error or str(exception.get("exception_message"))
        details = result.result or {}
        self.element_count += int(details.get("element_count") or 0)
        self.unexpected_count += int(details.get("unexpected_count") or 0)
        self.missing_count += int(details.get("missing_count") or 0)
        self.all_batches_passed = self.all_batches_passed and bool(result.success)
        for value in details.get("partial_unexpected_list") or []:
            value = _plain(value)
            if len(self.examples) < MAX_EXAMPLES and value not in self.examples:
                self.examples.append(value)

    def passed(self, check: Check, min_rows: int) -> bool:
        if self.error:
            return False
        mostly = check.kwargs.get("mostly")
        if mostly is None:
            return self.all_batches_passed
        considered = self.element_count - self.missing_count
        # a tolerated rate needs enough rows to mean anything: the same minimum as dbt's rate tests
        if considered < min_rows:
            return True
        return (considered - self.unexpected_count) / considered >= mostly

    def failure(self, suite_name: str, check: Check) -> FailedExpectation:
        return FailedExpectation(
            suite=suite_name,
            expectation=check.expectation,
            rule=check.rule,
            event_name=check.event_name,
            property=check.property,
            column=check.kwargs.get("column"),
            unexpected_count=self.unexpected_count,
            element_count=self.element_count - self.missing_count,
            examples=tuple(self.examples),
            error=self.error,
        )


def _plain(value: Any) -> Any:
    """Unexpected values as plain Python (NaN for a null becomes None)."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, list | tuple):
        return tuple(_plain(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((str(key), _plain(item)) for key, item in value.items()))
    if hasattr(value, "item"):
        return value.item()
    return value
