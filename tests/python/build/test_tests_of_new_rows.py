"""After a green build, the data tests that would read every event (`unique` of the event tables, the
conservation law) look only at the rows written since; anything else tests every row. What they
still find, and what only the whole scan would."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from conftest import SAMPLE_END
from dagster_support import write_events
from delivery_helpers import copy_warehouse, execute, query
from milestones.build import run_build
from milestones.build.dbt import read_manifest, run_dbt, target_dir
from milestones.build.unchanged import current_inputs
from milestones.build.unchanged import tested_since_load_id as since_load  # not collected as a test
from milestones.delivery.guard import run_results
from milestones.load import load_directory
from own_project import copy_project

CHECKED = "main_intermediate.int_events__contract_checked"
TESTS = [
    "unique_fct_events_event_id",
    "unique_int_events__valid_event_id",
    "unique_int_events__contract_checked_raw_row_id",
    "unique_stg_landing__events_raw_row_id",
    "assert_landed_events_are_conserved",
    "assert_event_row_totals_are_conserved",
]


@pytest.fixture
def warehouse(built_duckdb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    database = copy_warehouse(built_duckdb, tmp_path / "warehouse")
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))
    monkeypatch.setenv("MILESTONES_SERVING_PATH", str(tmp_path / "serving" / "serving.duckdb"))
    assert run_build(as_of=SAMPLE_END) == 0  # the green build the next one compares with
    return database


def _last_load(database: Path) -> int:
    return query(database, "select max(load_id) from main_raw._loads")[0][0]


def _failed_tests(since: int | None) -> set[str]:
    outcome = run_dbt(["test", "--select", *TESTS], as_of=SAMPLE_END, tested_since_load_id=since, quiet=True)
    return {node.unique_id.split(".")[2] for node in outcome.failed}


def _compiled(test_name: str) -> str:
    results = run_results(target_dir() / "run_results.json")
    (found,) = [result for result in results if result["unique_id"].split(".")[2] == test_name]
    return found["compiled_code"]


def test_the_build_after_a_green_one_tests_the_rows_written_since(warehouse: Path, tmp_path: Path) -> None:
    since = _last_load(warehouse)
    assert since_load(current_inputs(SAMPLE_END)) == since

    arrived = tmp_path / "arrived"
    arrived.mkdir()
    (account,) = query(warehouse, "select min(account_id) from main_raw.accounts")[0]
    load_directory(write_events(arrived / "events_late.jsonl", account, [("page_viewed", {})]).parent)
    assert run_build(as_of=SAMPLE_END) == 0
    assert f"processed_load_id > {since}" in _compiled("unique_fct_events_event_id")
    assert f"load_id > {since}" in _compiled("assert_landed_events_are_conserved")
    # a full refresh tests every row: test_the_build_after_a_green_one_leaves_out_what_reads_only_the_files


def test_every_row_is_tested_after_dbt_ran_by_hand_or_files_changed(warehouse: Path, tmp_path: Path) -> None:
    assert since_load(current_inputs(SAMPLE_END)) is not None, "as the fixture's build left it"
    project = copy_project(tmp_path / "project")
    seed = project / "seeds" / "milestones.csv"
    seed.write_text("".join(seed.read_text().splitlines(keepends=True)[:-1]))
    assert since_load(current_inputs(SAMPLE_END, project_dir=project)) is None, "an edited seed"

    assert run_dbt(["run", "--select", "stg_landing__accounts"], as_of=SAMPLE_END).success
    assert since_load(current_inputs(SAMPLE_END)) is None, "dbt ran since the green build"


def test_the_tests_of_new_rows_find_what_a_new_row_breaks(warehouse: Path) -> None:
    since = _last_load(warehouse)
    assert _failed_tests(since) == set()
    # a valid row written again as a new row (another landed row, stamped by a later build): its event
    # id is now twice in fct_events, and its landed row does not exist
    execute(
        warehouse,
        f"insert into {CHECKED} "
        f"select * replace ((select max(raw_row_id) + 1 from {CHECKED}) as raw_row_id, "
        f"{since + 1} as processed_load_id) from {CHECKED} "
        f"where raw_row_id = (select max(raw_row_id) from {CHECKED} where violation_reason is null)",
    )
    breaks = {
        "unique_fct_events_event_id",
        "unique_int_events__valid_event_id",
        "assert_landed_events_are_conserved",
        "assert_event_row_totals_are_conserved",
    }
    assert _failed_tests(since) == breaks
    assert _failed_tests(None) == breaks, "the whole scan finds the same"

    # stamped as if the last green build had tested it, only the whole scan and the totals see it
    execute(warehouse, f"update {CHECKED} set processed_load_id = {since} where processed_load_id > {since}")
    assert _failed_tests(since) == {"assert_event_row_totals_are_conserved"}
    assert _failed_tests(None) == breaks


def test_a_row_lost_from_both_halves_is_found_by_the_totals(warehouse: Path) -> None:
    since = _last_load(warehouse)
    execute(warehouse, f"delete from {CHECKED} where raw_row_id = (select min(raw_row_id) from {CHECKED})")
    assert _failed_tests(since) == {"assert_event_row_totals_are_conserved"}
    lost = {"assert_landed_events_are_conserved", "assert_event_row_totals_are_conserved"}
    assert _failed_tests(None) == lost


def _ran() -> set[str]:
    return {result["unique_id"] for result in run_results(target_dir() / "run_results.json")}


SYNC = "main_marts.crm_account_milestone_sync"
# tests of crm_account_milestone_sync whose columns its enforced contract constrains (primary key,
# not null), and those it does not: a column without a constraint, one whose constraint was dropped
GUARANTEED = ["not_null_crm_account_milestone_sync_crm_id", "unique_crm_account_milestone_sync_crm_id"]
CHECKED_BY_TESTS = [
    "not_null_crm_account_milestone_sync_segment",
    "unique_crm_account_milestone_sync_account_id",
]


def _tests(names: list[str]) -> set[str]:
    """The unique ids of the data tests with these names (in the manifest of the last dbt run)."""
    found = {unique_id for unique_id in read_manifest()["nodes"] if unique_id.split(".")[2] in names}
    assert len(found) == len(names), f"no such tests: {names}"
    return found


def test_the_build_after_a_green_one_leaves_out_what_reads_only_the_files(warehouse: Path) -> None:
    """The seeds, the models built from them alone and their tests stand as the green build left them,
    and so do the tests that the marts' constraints guarantee; everything reading events or the day
    runs, and so do the tests whose warnings every build prints and the tests of a mart's rows
    against a seed."""
    definitions = query(warehouse, "select count(*) from main_intermediate.int_milestone_definitions")
    # a constraint dropped by hand is not trusted: the test of that column runs
    execute(warehouse, f"alter table {SYNC} alter column segment drop not null")
    assert run_build(as_of=SAMPLE_END + timedelta(days=1)) == 0
    ran = _ran()
    assert not ran & _tests(GUARANTEED), "tests the marts' enforced constraints guarantee"
    assert _tests([*CHECKED_BY_TESTS, "unique_fct_events_event_id"]) <= ran, "no constraint, or a view"
    assert not [unique_id for unique_id in ran if unique_id.startswith("seed.")]
    assert "model.milestone_warehouse.int_milestone_definitions" not in ran
    assert "model.milestone_warehouse.fct_account_milestones" in ran
    assert any(".names_defined_segments_" in unique_id for unique_id in ran), "tests that may warn"
    fed_by_a_seed = (
        "test.milestone_warehouse.relationships_fct_events_event_name__event_name__ref_tracking_plan_events_"
    )
    assert any(unique_id.startswith(fed_by_a_seed) for unique_id in ran), "a mart's rows against a seed"
    assert query(warehouse, "select count(*) from main_intermediate.int_milestone_definitions") == definitions

    # a full refresh builds everything again and tests every row
    assert run_build(as_of=SAMPLE_END + timedelta(days=1), full_refresh=True) == 0
    ran = _ran()
    assert "model.milestone_warehouse.int_milestone_definitions" in ran
    assert [unique_id for unique_id in ran if unique_id.startswith("seed.")]
    assert _tests(GUARANTEED) <= ran
    assert "processed_load_id >" not in _compiled("unique_fct_events_event_id")
