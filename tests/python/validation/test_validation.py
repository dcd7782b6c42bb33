"""Great Expectations suites generated from the tracking plan, and the validation of a built warehouse."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_support import END_DATE, first_account, small_landing, write_events
from milestones import paths

# -- suites generated from the plan ------------------------------------------------------------------


def copy_seeds(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("tracking_plan_events.csv", "tracking_plan_properties.csv"):
        shutil.copyfile(paths.PROJECT_DIR / "seeds" / name, seeds / name)
    return seeds


def edit_csv(path: Path, edit) -> None:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = edit(list(reader))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_suites_follow_the_tracking_plan(tmp_path: Path) -> None:
    from milestones.validation import describe_suites, generate_suites

    seeds = copy_seeds(tmp_path)
    before = describe_suites(generate_suites(seeds_dir=seeds))
    assert "staged_events.task_created" in before and "staged_events.sidebar_clicked" in before

    edit_csv(
        seeds / "tracking_plan_events.csv",
        lambda rows: [row for row in rows if row["event_name"] != "sidebar_clicked"],
    )
    edit_csv(
        seeds / "tracking_plan_properties.csv",
        lambda rows: [
            *(row for row in rows if row["event_name"] != "sidebar_clicked"),
            {
                "event_name": "task_created",
                "property": "priority",
                "type": "string",
                "required": "true",
                "allowed_values": "low|medium|high",
                "description": "added by the test",
            },
        ],
    )
    after = describe_suites(generate_suites(seeds_dir=seeds))

    assert "staged_events.sidebar_clicked" not in after, "a removed event loses its suite"
    assert "'sidebar_clicked'" not in after["staged_events"][0], "and leaves the plan's event names"
    added = set(after["staged_events.task_created"]) - set(before["staged_events.task_created"])
    assert added == {
        "ExpectColumnValuesToNotBeNull(column='priority', mostly=0.75)",
        "ExpectColumnValuesToBeInSet(column='priority:type', mostly=0.75, value_set=['string'])",
        "ExpectColumnValuesToBeInSet(column='priority', mostly=0.75, value_set=['low', 'medium', 'high'])",
    }
    unchanged = {name for name in before if name in after and before[name] == after[name]}
    assert "staged_events.page_viewed" in unchanged


def test_suites_validate_events_only(tmp_path: Path) -> None:
    """The marts' invariants are dbt tests (the marts' YAML, fct_events included); GX checks every landed
    event against the plan."""
    from milestones.validation import generate_suites

    relations = {suite.dataset.relation for suite in generate_suites(seeds_dir=copy_seeds(tmp_path))}
    assert relations == {"int_events__contract_checked"}


def test_plan_types_map_to_json_kinds(tmp_path: Path) -> None:
    from milestones.validation import generate_suites

    suites = {suite.name: suite for suite in generate_suites(seeds_dir=copy_seeds(tmp_path))}
    kinds = {
        check.kwargs["column"]: check.kwargs["value_set"]
        for check in suites["staged_events.task_created"].checks
        if check.kwargs["column"].endswith(":type")
    }
    assert kinds["task_id:type"] == ["string"]
    assert kinds["due_at:type"] == ["timestamp"]
    assert kinds["estimate_hours:type"] == ["integer", "number"]


# -- validating a built warehouse --------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse_with_bad_events(dbt_artifacts: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean generated landing folder plus one file of events that break the plan: every
    audit_log_exported has a format outside its allowed values, every sso_configured lacks its
    required provider. Loaded and built as of the data's last day."""
    from conftest import environment
    from milestones.build.dbt import run_dbt
    from milestones.load import load_directory

    root = tmp_path_factory.mktemp("validation")
    landing = small_landing(root / "landing")
    account = first_account(landing)
    write_events(
        landing / "events_bad.jsonl",
        account,
        [("audit_log_exported", {"format": "docx"})] * 4 + [("sso_configured", {"enforced": True})] * 3,
    )
    database = root / "warehouse.duckdb"
    with environment(MILESTONES_DUCKDB_PATH=str(database), MILESTONES_TARGET="duckdb"):
        load_directory(landing)
        # seeds, models and the snapshot, no tests: dbt's own violation-rate test fails on these events
        # too, and a failing dbt test would skip the models downstream of it; here GX is under test
        no_tests = ["--exclude", "resource_type:test", "resource_type:unit_test"]
        assert run_dbt(["build", *no_tests], as_of=END_DATE).success
    return database


def test_bad_events_fail_the_validation_naming_event_and_property(
    warehouse_with_bad_events: Path, tmp_path: Path, monkeypatch
) -> None:
    from milestones.validation import validate_warehouse

    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(warehouse_with_bad_events))
    monkeypatch.setenv("MILESTONES_TARGET", "duckdb")
    # a handful of bad rows: judge rates on any number of rows (the default needs 100)
    report = validate_warehouse(data_docs_dir=tmp_path / "docs", seeds_dir=None, min_rows=1)

    assert not report.ok
    failed = {(f.suite, f.event_name, f.property, f.rule) for f in report.failed}
    assert (
        "staged_events.audit_log_exported",
        "audit_log_exported",
        "format",
        "property value allowed",
    ) in failed
    assert (
        "staged_events.sso_configured",
        "sso_configured",
        "provider",
        "required property",
    ) in failed
    assert {f.event_name for f in report.failed} == {"audit_log_exported", "sso_configured"}, (
        "the clean events pass"
    )
    allowed = next(f for f in report.failed if f.property == "format")
    assert allowed.unexpected_count == 4 and "docx" in allowed.examples
    text = report.summary()
    assert "validation FAILED" in text and "event audit_log_exported, property format" in text

    assert report.data_docs_index == (tmp_path / "docs" / "index.html").resolve()
    assert report.data_docs_index.exists()
    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    assert any("audit_log_exported" in str(page) for page in pages)


def test_validation_reads_in_batches(warehouse_with_bad_events: Path, tmp_path: Path, monkeypatch) -> None:
    """Split into small batches the totals are the same: `mostly` applies to the whole table."""
    from milestones.validation import validate_warehouse

    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(warehouse_with_bad_events))
    monkeypatch.setenv("MILESTONES_TARGET", "duckdb")
    monkeypatch.setenv("MILESTONES_VALIDATION_BATCH_ROWS", "2000")
    report = validate_warehouse(data_docs_dir=tmp_path / "docs", min_rows=1)

    assert max(outcome.batches for outcome in report.suites) > 1
    failed = {(f.event_name, f.property, f.unexpected_count) for f in report.failed}
    assert ("audit_log_exported", "format", 4) in failed
    assert {f.event_name for f in report.failed} == {"audit_log_exported", "sso_configured"}


def test_rates_on_too_few_rows_are_not_judged(
    warehouse_with_bad_events: Path, tmp_path: Path, monkeypatch
) -> None:
    """Four bad rows of a rare event are noise, not a broken contract, under the default minimum."""
    from milestones.validation import validate_warehouse

    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(warehouse_with_bad_events))
    monkeypatch.setenv("MILESTONES_TARGET", "duckdb")
    report = validate_warehouse(data_docs_dir=tmp_path / "docs")
    assert report.ok, report.summary()


# -- reading what arrived ----------------------------------------------------------------------------


def test_scope_reads_after_the_last_passed_validation_unless_something_changed() -> None:
    from milestones.validation.scope import decide_scope

    last = {"processed_load_id": 4, "seed_fingerprint": "plan-a", "suites_fingerprint": "suites-a"}
    assert decide_scope(last, (6, "plan-a"), "suites-a", everything=False).since_load_id == 4
    assert decide_scope(last, (4, "plan-a"), "suites-a", everything=False).since_load_id == 4
    everything = [
        decide_scope(None, (6, "plan-a"), "suites-a", everything=False),
        decide_scope(last, (6, "plan-a"), "suites-a", everything=True),
        decide_scope(last, (6, "plan-a"), "suites-b", everything=False),
        decide_scope(last, (6, "plan-b"), "suites-a", everything=False),
        decide_scope(last, (None, None), "suites-a", everything=False),
    ]
    assert [scope.since_load_id for scope in everything] == [None] * 5
    assert [scope.why for scope in everything] == [
        "every row (no validation has passed yet)",
        "every row (asked for)",
        "every row (the suites changed)",
        "every row (the seeds changed)",
        "every row (the seeds changed)",
    ]
    assert everything[0].processed_load_id == 6, "the watermark recorded when these rows pass"


def test_validation_reads_the_rows_checked_since_the_last_passed_one(
    warehouse_with_bad_events: Path, tmp_path: Path, monkeypatch
) -> None:
    """A passed validation is recorded; the next reads only what later builds (re)checked: nothing
    without a load, the new load's rows after one. A changed plan or `everything` reads every row."""
    from milestones.build.dbt import run_dbt
    from milestones.load import load_directory
    from milestones.validation import validate_warehouse

    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse_with_bad_events, database)
    with duckdb.connect(str(database)) as connection:  # what the module's other tests recorded
        connection.execute("drop schema if exists main_validation cascade")
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))
    monkeypatch.setenv("MILESTONES_TARGET", "duckdb")
    docs = tmp_path / "docs"

    first = validate_warehouse(data_docs_dir=docs)
    assert first.ok and first.scope == "every row (no validation has passed yet)"
    every_row = sum(outcome.rows for outcome in first.suites)
    assert every_row > 1000

    again = validate_warehouse(data_docs_dir=docs)
    assert again.ok and again.scope.startswith("new rows after load")
    assert sum(outcome.rows for outcome in again.suites) == 0, "nothing was checked since"
    assert again.data_docs_index == first.data_docs_index, "the last Data Docs still stand"

    # a new load: four more events with a format outside the allowed values
    arrived = tmp_path / "arrived"
    arrived.mkdir()
    with duckdb.connect(str(database), read_only=True) as connection:
        (account,) = connection.execute("select min(account_id) from main_raw.accounts").fetchone()
    write_events(arrived / "events_late.jsonl", account, [("audit_log_exported", {"format": "odt"})] * 4)
    load_directory(arrived)
    assert run_dbt(["run", "--select", "int_events__contract_checked"], as_of=END_DATE).success

    after_load = validate_warehouse(data_docs_dir=docs, min_rows=1)
    read = {outcome.suite: outcome.rows for outcome in after_load.suites if outcome.rows}
    assert read == {"staged_events": 4, "staged_events.audit_log_exported": 4}
    assert not after_load.ok and {f.examples for f in after_load.failed} == {("odt",)}, (
        "the rate is judged on what arrived: every new row is bad"
    )
    retried = validate_warehouse(data_docs_dir=docs, min_rows=1)
    assert sum(outcome.rows for outcome in retried.suites) == 8, "a failed validation records nothing"

    everything = validate_warehouse(data_docs_dir=docs, everything=True)
    assert sum(outcome.rows for outcome in everything.suites) == every_row + 8

    seeds = copy_seeds(tmp_path)
    edit_csv(seeds / "tracking_plan_events.csv", lambda rows: rows[:-1])
    changed = validate_warehouse(data_docs_dir=docs, seeds_dir=seeds)
    assert changed.scope == "every row (the suites changed)"


# -- the validation's imports ------------------------------------------------------------------------


def test_great_expectations_imports_where_main_has_no_file() -> None:
    """Great Expectations imports pyspark's Spark Connect module, which ends the process with status 0
    where its dependencies are missing and __main__ has no file (`python -c`, pytest-xdist workers):
    a build would stop silently, as if it had passed, before its validation."""
    import subprocess
    import sys

    code = "import great_expectations; print('imported')"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "imported", completed.stderr


def test_batches_are_not_fingerprinted_cell_by_cell() -> None:
    """GX hashes every cell of a dataframe batch for a mark nothing reads; the validation turns that off
    through GX's own engine (a GX upgrade that renames the setting fails here, not silently)."""
    import pandas as pd

    from milestones.validation.runner import import_great_expectations

    import_great_expectations()
    from great_expectations.core.batch_spec import RuntimeDataBatchSpec
    from great_expectations.execution_engine import PandasExecutionEngine

    frame = pd.DataFrame({"event_name": ["page_viewed"] * 3, "value": ["a", None, "c"]})
    _, markers = PandasExecutionEngine().get_batch_data_and_markers(RuntimeDataBatchSpec(batch_data=frame))
    assert "pandas_data_fingerprint" not in markers
    assert markers  # GX still marks the batch (its load time): only the hash is skipped
