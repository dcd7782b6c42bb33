"""Another company's definitions build every table: the four seeds of an API platform
(tests/definitions/api_platform: other segments, other events, every criteria feature of docs/rules.md
§4) with every optional seed empty. Data generated from them is loaded and built in a copy of the dbt
project whose seeds are those, and each table is checked against the generator's ground truth, with
the same checks the sample gets (truth_checks.py).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import truth_checks
from milestones.paths import PROJECT_DIR
from own_project import build_own_project, run_milestones

pytestmark = pytest.mark.slow

DEFINITIONS = PROJECT_DIR / "tests" / "definitions" / "api_platform"
AS_OF = date(2026, 9, 30)
# small, but with renewals, churn, stalls and every milestone reached by some accounts
ACCOUNTS, DAYS, SEED, DIRTY_RATE = 120, 180, 23, 0.02


@pytest.fixture(scope="module")
def landing(dbt_artifacts: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated from the definitions (dbt checks their rules first, in the session's dbt folder)."""
    from milestones.sample import generate

    out = tmp_path_factory.mktemp("api_platform_landing")
    generate(
        accounts=ACCOUNTS,
        days=DAYS,
        seed=SEED,
        out=out,
        dirty_rate=DIRTY_RATE,
        end_date=AS_OF,
        progress=False,
        seeds_dir=DEFINITIONS,
    )
    return out


@pytest.fixture(scope="module")
def warehouse(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The landing folder loaded and built as of its last day, in a project holding only the four seeds
    of the definitions (every optional seed header-only)."""
    work = tmp_path_factory.mktemp("api_platform_build")
    _, database = build_own_project(work, landing, DEFINITIONS, AS_OF)
    yield database


def _seed_rows(name: str) -> list[dict[str, str]]:
    with (DEFINITIONS / name).open(newline="", encoding="utf-8") as seed:
        return list(csv.DictReader(seed))


def test_the_definitions_are_another_product_using_every_criteria_feature() -> None:
    """Other segments (with 4, 6 and 8 milestones) and other events than the sample's, and every
    feature of a criterion."""
    milestones, criteria = _seed_rows("milestones.csv"), _seed_rows("milestone_criteria.csv")
    sizes = {}
    for row in milestones:
        sizes[row["segment"]] = sizes.get(row["segment"], 0) + 1
    assert sorted(sizes.values()) == [4, 6, 8]
    with (PROJECT_DIR / "seeds" / "milestones.csv").open(newline="", encoding="utf-8") as seed:
        assert not {r["segment"] for r in csv.DictReader(seed)} & set(sizes)
    with (PROJECT_DIR / "seeds" / "tracking_plan_events.csv").open(newline="", encoding="utf-8") as seed:
        sample_events = {r["event_name"] for r in csv.DictReader(seed)}
    assert not sample_events & {r["event_name"] for r in _seed_rows("tracking_plan_events.csv")}
    types = {(r["event_name"], r["property"]): r["type"] for r in _seed_rows("tracking_plan_properties.csv")}
    filtered_types = {
        types[(c["event_name"], c["filter_property"])] for c in criteria if c["filter_property"]
    }
    per_milestone = {}
    for c in criteria:
        per_milestone[(c["segment"], c["milestone_id"])] = (
            per_milestone.get((c["segment"], c["milestone_id"]), 0) + 1
        )
    assert any(c["event_name"] == "*" and c["measure"] == "count" for c in criteria)
    assert any(c["event_name"] == "*" and c["distinct_property"] == "user_id" for c in criteria)
    assert any(c["measure"] == "distinct" and c["distinct_property"] not in ("", "user_id") for c in criteria)
    assert any(c["group_by_property"] for c in criteria)
    assert {"string", "boolean", "integer"} <= filtered_types
    assert any(len(r["depends_on"].split("|")) >= 3 for r in milestones)
    assert max(per_milestone.values()) >= 2


def test_the_quarantine_matches_the_dirty_rows_the_generator_made(warehouse: Path, landing: Path) -> None:
    by_reason, made, valid, written = truth_checks.quarantine_against_manifest(warehouse, landing)
    assert by_reason == made
    assert valid == written


def test_account_milestones_match_the_ground_truth(warehouse: Path, landing: Path) -> None:
    """completed_at, completion_source, status, days waiting, is_stalled and days_overdue per account and
    milestone, stalls measured against target_days (no segment_settings rows)."""
    mismatches = truth_checks.account_milestone_mismatches(warehouse, landing, DEFINITIONS, AS_OF)
    assert truth_checks.describe(mismatches) == ""


def test_the_data_exercises_every_milestone(landing: Path, warehouse: Path) -> None:
    """Each milestone is completed by some accounts, each after the first is still open for others, and
    every segment has stalled accounts: the checks above compare something."""
    expected = truth_checks.expected_account_milestones(landing, DEFINITIONS, AS_OF)
    done = expected.assign(done=expected.status == "completed")
    completed = done.groupby("milestone_id").done.mean()
    assert (completed > 0).all(), completed.to_dict()
    later = done[done.sequence > 1].groupby("milestone_id").done.mean()
    assert (later < 1).all(), later.to_dict()
    stalled = truth_checks.query(
        warehouse,
        "select segment, count(*) as n from main_marts.fct_account_milestones where is_stalled group by 1",
    )
    assert set(stalled.segment) == set(expected.segment)


def test_the_intervention_queue_holds_the_stalled_accounts_that_did_not_churn(
    warehouse: Path, landing: Path
) -> None:
    queued, expected = truth_checks.stalled_accounts(warehouse, landing, AS_OF)
    assert expected
    assert queued == expected


def test_every_table_the_data_fills_is_filled(warehouse: Path, landing: Path) -> None:
    tables = truth_checks.marts_expected_non_empty(landing)
    assert "mart_milestone_candidates" in tables, "the data has renewals and churn"
    empty = [table for table in tables if truth_checks.row_count(warehouse, table) == 0]
    assert empty == []


def test_baselines_cover_every_milestone_of_the_definitions(warehouse: Path) -> None:
    built = truth_checks.query(
        warehouse,
        "select segment, milestone_id, target_days from main_marts.mart_segment_milestone_baselines",
    )
    seeded = {
        (r["segment"], r["milestone_id"], float(r["target_days"])) for r in _seed_rows("milestones.csv")
    }
    assert set(zip(built.segment, built.milestone_id, built.target_days.astype(float), strict=True)) == seeded


def test_generate_reads_the_seeds_folder_it_is_given(dbt_artifacts: Path, tmp_path: Path) -> None:
    """`milestones generate --seeds DIR`: the accounts are of the definitions' segments."""
    out = tmp_path / "landing"
    args = ["generate", "--seeds", str(DEFINITIONS), "--accounts", "9", "--days", "30", "--seed", "1"]
    run_milestones([*args, "--out", str(out)], dict(os.environ))
    with (out / "accounts.csv").open(newline="", encoding="utf-8") as accounts:
        segments = {row["segment"] for row in csv.DictReader(accounts)}
    assert segments == {"hobbyist", "startup", "scaleup"}
