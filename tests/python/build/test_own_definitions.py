"""Another company's definitions (docs/rules.md §4, §5): the four seeds a user edits suffice, a bad
optional seed row never hides the milestone tables, and a flood of bad events keeps its evidence.

Each build runs the real `milestones` command in a subprocess on a copy of the dbt project
(tests/python/own_project.py, MILESTONES_PROJECT_DIR) whose seeds the test chooses.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE_END
from own_project import OPTIONAL_SEEDS, copy_project
from truth_checks import MARTS, row_count, rows, tables

pytestmark = pytest.mark.slow

ACCOUNTS = 60
DAYS = 90
MAX_MESSAGE_LINES = 5


def _milestones() -> list[str]:
    script = Path(sys.executable).with_name("milestones")
    return [str(script)] if script.exists() else [sys.executable, "-m", "milestones.cli"]


def _environment(project: Path, work: Path) -> dict[str, str]:
    """Everything a build writes stays under `work`; the project is the copy."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("MILESTONES_")}
    environment.update(
        MILESTONES_PROJECT_DIR=str(project),
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
        MILESTONES_DUCKDB_PATH=str(work / "milestones.duckdb"),
        MILESTONES_REPORTS_DIR=str(work / "reports"),
        MILESTONES_TARGET="duckdb",
        MILESTONES_PROGRESS="0",
    )
    return environment


def _run(arguments: list[str], environment: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_milestones(), *arguments], env=environment, cwd=cwd, capture_output=True, text=True, check=False
    )


def _load_and_build(project: Path, work: Path, *landings: Path) -> subprocess.CompletedProcess[str]:
    environment = _environment(project, work)
    for landing in landings:
        loaded = _run(["load", str(landing)], environment, work)
        assert loaded.returncode == 0, loaded.stderr
    return _run(["build", "--as-of", SAMPLE_END.isoformat()], environment, work)


def _short_message(completed: subprocess.CompletedProcess[str]) -> list[str]:
    lines = completed.stderr.rstrip("\n").splitlines()
    assert 1 <= len(lines) <= MAX_MESSAGE_LINES, f"not a short message:\n{completed.stderr}"
    assert "Traceback" not in completed.stderr + completed.stdout
    return lines


def _append_rows(seed: Path, *lines: str) -> None:
    with seed.open("a", encoding="utf-8") as file:
        file.write("".join(f"{line}\n" for line in lines))


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small clean sample. The generator's experiments are its own, not a seed's: their assignments
    are left out so that a project whose experiments seed is empty has nothing to quarantine there."""
    from milestones.sample import generate

    out = tmp_path_factory.mktemp("own_landing")
    generate(
        accounts=ACCOUNTS, days=DAYS, seed=5, out=out, dirty_rate=0.0, end_date=SAMPLE_END, progress=False
    )
    for assignments in out.glob("experiment_assignments*"):
        assignments.unlink()
    return out


@pytest.fixture(scope="module")
def four_seeds_build(
    landing: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The four seeds, and every optional seed without rows but two that name what the four seeds do
    not define: a segment_settings row of an unknown segment, an experiment on an unknown milestone."""
    work = tmp_path_factory.mktemp("four_seeds")
    project = copy_project(work / "project", header_only=OPTIONAL_SEEDS)
    _append_rows(project / "seeds" / "segment_settings.csv", "no_such_segment,peer_p75,5,")
    _append_rows(
        project / "seeds" / "experiments.csv",
        "exp_ghost,trial,A milestone nobody defined,no_such_milestone,control,14,0.1,0.02",
    )
    return _load_and_build(project, work, landing), work / "milestones.duckdb"


def test_the_four_seeds_build_every_mart(
    four_seeds_build: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    completed, database = four_seeds_build
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr
    assert set(MARTS) <= tables(database)
    for mart in (
        "fct_account_milestones",
        "dim_account_milestone_status",
        "mart_segment_milestone_baselines",
    ):
        assert row_count(database, mart) > 0, mart
    # no bands seeded: every account gets one of the default bands (macros/health/optional_seed_defaults.sql)
    bands = rows(database, "select distinct health_band from main_marts.dim_account_milestone_status")
    assert {band for (band,) in bands} <= {"low", "medium", "high"}
    assert None not in {band for (band,) in bands}
    assert row_count(database, "fct_account_stage_transitions") == 0
    # no settings: every stall is measured against target_days
    sources = rows(database, "select distinct stall_threshold_source from main_marts.fct_account_milestones")
    assert {source for (source,) in sources} <= {"target_days", None}


def test_a_row_naming_an_unknown_segment_warns_and_is_ignored(
    four_seeds_build: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    completed, database = four_seeds_build
    assert completed.returncode == 0, completed.stderr
    warnings = [line for line in completed.stdout.splitlines() if line.startswith("warning: ")]
    assert any("segment_settings row no_such_segment" in line for line in warnings), warnings
    assert any("experiments row exp_ghost" in line and "no_such_milestone" in line for line in warnings), (
        warnings
    )
    assert row_count(database, "mart_experiment_results") == 0
    segments = rows(database, "select distinct segment from main_marts.fct_account_milestones")
    assert "no_such_segment" not in {segment for (segment,) in segments}


def test_a_malformed_optional_seed_row_keeps_the_milestone_tables(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A negative health weight: the milestone tables and the customer record are built without the
    row; the build exits 1 naming it and delivers nothing: no CRM snapshot, no delivery recorded, and
    the serving file stays as it was."""
    from milestones.delivery.guard import last_delivered

    project = copy_project(tmp_path / "project")
    weights = project / "seeds" / "health_score_weights.csv"
    text = weights.read_text(encoding="utf-8")
    good_row = "health,,logins,event_count,user_logged_in,8,"
    assert good_row in text
    weights.write_text(
        text.replace(good_row, "health,,logins,event_count,user_logged_in,-8,"), encoding="utf-8"
    )
    serving = tmp_path / "serving.duckdb"
    serving.write_bytes(b"the last good serving file")

    completed = _load_and_build(project, tmp_path, landing)

    assert completed.returncode == 1, completed.stdout[-3000:]
    message = _short_message(completed)
    assert any("component logins of score health needs a weight of 0 or more" in line for line in message)
    database = tmp_path / "milestones.duckdb"
    built = tables(database)
    assert {"fct_account_milestones", "dim_account_milestone_status", "mart_intervention_queue"} <= built
    assert row_count(database, "dim_account_milestone_status") > 0
    assert serving.read_bytes() == b"the last good serving file"
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))
    monkeypatch.setenv("MILESTONES_TARGET", "duckdb")
    assert last_delivered() is None, "a build that exits 1 on an optional seed row records no delivery"
    assert tables(database, "main_snapshots") == set(), "nor does it write the CRM snapshot"
    assert not {"crm_account_milestone_sync", "crm_account_milestone_changes"} & built


def test_a_flood_of_bad_events_keeps_the_evidence_and_stops_the_milestones(
    landing: Path, tmp_path: Path
) -> None:
    """Four bad event rows for each good one: the valid events, the quarantine and the rates are built
    and hold every landed row; the milestone tables are not; the build exits 1 naming the share."""
    clean = tmp_path / "clean"
    shutil.copytree(landing, clean)
    good_rows = (
        sum(1 for _ in (clean / "events_0001.jsonl").open()) if (clean / "events_0001.jsonl").exists() else 0
    )
    for events in clean.glob("events*"):
        if events.name != "events_0001.jsonl":
            events.unlink()
    assert good_rows > 0
    bad = tmp_path / "bad"
    bad.mkdir()
    with (bad / "events_flood.jsonl").open("w", encoding="utf-8") as file:
        for number in range(4 * good_rows):
            if number % 2:
                file.write("not a json object\n")
            else:
                row = {"event_id": f"flood-{number}", "account_id": "flood", "event_name": "no_such_event"}
                file.write(json.dumps({**row, "occurred_at": "2026-06-01T00:00:00Z"}) + "\n")
    project = copy_project(tmp_path / "project")

    completed = _load_and_build(project, tmp_path, clean, bad)

    assert completed.returncode == 1, completed.stdout[-3000:]
    message = "\n".join(_short_message(completed))
    assert "landed event rows quarantined (80%, more than 25%)" in message, message
    assert "top reasons: " in message and "malformed_record" in message and "unknown_event" in message
    database = tmp_path / "milestones.duckdb"
    raw = row_count(database, "events", schema="main_raw")
    valid = row_count(database, "fct_events")
    quarantined = row_count(database, "fct_event_contract_violations")
    assert raw == valid + quarantined == 5 * good_rows
    assert "mart_event_contract_violation_rates" in tables(database)
    assert "fct_account_milestones" not in tables(database)
