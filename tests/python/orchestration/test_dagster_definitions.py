"""The Dagster code location: its definitions (compared with a committed snapshot), the translator's
groups, the sensor's file bookkeeping, and the schedule and sensor evaluated.

Regenerate the snapshot after an intended change (a new model, test or asset):

    MILESTONES_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/python/test_dagster_definitions.py
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dagster_support import set_mtime

SNAPSHOT = Path(__file__).parent / "snapshots" / "dagster_definitions.json"


@pytest.fixture(scope="module")
def defs(dbt_artifacts: Path):
    """The code location, loaded as `dagster dev` loads it (dbt artifacts in a temporary folder)."""
    from orchestration.definitions import defs

    return defs


# -- pure helpers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "path", "group"),
    [
        ("model", "models/staging/landing/stg_landing__events.sql", "staging"),
        ("model", "models/intermediate/milestones/int_account_criteria_progress.sql", "intermediate"),
        ("model", "models/marts/customer_success/fct_account_milestones.sql", "marts_customer_success"),
        ("model", "models/marts/events/fct_events.sql", "marts_events"),
        ("model", "models/marts/top_level.sql", "marts"),
        ("model", "models/orphan.sql", "models"),
        ("model", "models/marts/customer-success/x.sql", "marts_customer_success"),
        ("seed", "seeds/milestones.csv", "seeds"),
        ("snapshot", "snapshots/crm.sql", "snapshots"),
        ("source", "models/staging/landing/_landing__sources.yml", "landing"),
    ],
)
def test_groups_follow_dbt_folders(resource_type: str, path: str, group: str) -> None:
    from orchestration.defs.dbt.translator import group_for

    assert group_for(resource_type, path) == group


@pytest.mark.parametrize(
    ("owner", "owners"),
    [
        ("team:crm", ["team:crm"]),
        ("cs-ops@example.com", ["cs-ops@example.com"]),
        ("CRM Operations", ["team:crm_operations"]),
        (["team:health", "Growth Analytics"], ["team:health", "team:growth_analytics"]),
        ("", None),
        (None, None),
    ],
)
def test_meta_owner_becomes_dagster_owners(owner: object, owners: list[str] | None) -> None:
    from orchestration.defs.dbt.translator import owners_from_meta

    assert owners_from_meta(owner) == owners


def test_landing_diff_new_old_touched_changed_and_removed() -> None:
    from orchestration.defs.landing.files import FileStat, diff_landing

    contents = {"events_1.jsonl": "a", "accounts.csv": "b"}
    hashed: list[str] = []

    def checksum(name: str) -> str:
        hashed.append(name)
        return "sha-" + contents[name]

    first = [FileStat("accounts.csv", 10, 1), FileStat("events_1.jsonl", 20, 1)]
    new, state = diff_landing({}, first, checksum)
    assert new == ["accounts.csv", "events_1.jsonl"]

    hashed.clear()
    new, state = diff_landing(state, first, checksum)
    assert new == [] and hashed == [], "unchanged files are neither new nor hashed again"

    touched = [FileStat("accounts.csv", 10, 2), FileStat("events_1.jsonl", 20, 1)]
    new, state = diff_landing(state, touched, checksum)
    assert new == [] and hashed == ["accounts.csv"], "a touched file with the same bytes is not new"
    assert state["accounts.csv"]["mtime_ns"] == 2

    contents["accounts.csv"] = "changed"
    changed = [FileStat("accounts.csv", 11, 3), FileStat("events_1.jsonl", 20, 1)]
    new, state = diff_landing(state, changed, checksum)
    assert new == ["accounts.csv"]

    new, state = diff_landing(state, [FileStat("events_1.jsonl", 20, 1)], checksum)
    assert new == [] and set(state) == {"events_1.jsonl"}, "removed files are forgotten"


def test_scan_skips_unsettled_and_unknown_files(tmp_path: Path) -> None:
    from orchestration.defs.landing.files import scan

    (tmp_path / "events_1.jsonl").write_text("{}\n")
    (tmp_path / "accounts.csv").write_text("account_id\n")
    (tmp_path / "_manifest.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("not a landing file")
    set_mtime(tmp_path / "accounts.csv", 120)
    assert [stat.name for stat in scan(tmp_path, settle_seconds=60)] == ["accounts.csv"]
    assert [stat.name for stat in scan(tmp_path, settle_seconds=0)] == ["accounts.csv", "events_1.jsonl"]


@pytest.mark.parametrize(
    ("message", "transient"),
    [
        (
            'IO Error: Could not set lock on file "warehouse/milestones.duckdb": Conflicting lock is held',
            True,
        ),
        ("could not connect to server: Connection refused", True),
        ("Binder Error: column foo not found", False),
        ("unrecognised landing file 'x.txt'", False),
    ],
)
def test_transient_errors(message: str, transient: bool) -> None:
    from orchestration.defs.shared import is_transient

    assert is_transient(message) is transient


# -- the definitions ---------------------------------------------------------------------------------


def describe_definitions(defs) -> dict:
    graph = defs.resolve_asset_graph()
    assets = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    owners = {key.to_user_string(): list(graph.get(key).owners) for key in graph.get_all_asset_keys()}
    checks = sorted(f"{check.asset_key.to_user_string()}:{check.name}" for check in graph.asset_check_keys)
    job = defs.resolve_job_def("build_warehouse")
    return {
        "assets": dict(sorted(assets.items())),
        "owners": {key: value for key, value in sorted(owners.items()) if value},
        "checks": checks,
        "jobs": {"build_warehouse": {"tags": dict(sorted(job.tags.items()))}},
        "schedules": {
            schedule.name: {"cron": schedule.cron_schedule, "job": schedule.job_name}
            for schedule in defs.schedules
        },
        "sensors": {sensor.name: {"job": sensor.job_name} for sensor in defs.sensors},
    }


def test_definitions_match_the_snapshot(defs) -> None:
    actual = describe_definitions(defs)
    if os.environ.get("MILESTONES_UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(actual, indent=2) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert actual == expected, (
        "the Dagster definitions changed; if that was intended, regenerate the snapshot with "
        "MILESTONES_UPDATE_SNAPSHOTS=1 (see this module's docstring)"
    )


def test_definitions_wire_landing_dbt_and_validation(defs) -> None:
    import dagster as dg

    graph = defs.resolve_asset_graph()
    events_source = dg.AssetKey(["landing", "events"])
    assert graph.get(events_source).group_name == "landing"
    staged = dg.AssetKey(["staging", "stg_landing__events"])
    assert events_source in graph.get(staged).parent_keys, "the landing load is upstream of the dbt source"
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert {"landing", "seeds", "staging", "intermediate", "marts_events", "marts_customer_success"} <= groups
    gx_checks = {check.asset_key for check in graph.asset_check_keys if check.name == "great_expectations"}
    # the landed events are validated where they are kept with their contract verdict; the marts'
    # invariants are their dbt tests
    assert gx_checks == {dg.AssetKey(["intermediate", "int_events__contract_checked"])}
    assert len(graph.asset_check_keys) > len(gx_checks), "dbt tests are asset checks too"
    # each mart's meta.owner (dbt_project.yml) is its asset's owner
    assert graph.get(dg.AssetKey(["marts", "fct_account_milestones"])).owners == ["team:customer_success"]
    assert graph.get(dg.AssetKey(["marts", "crm_account_milestone_changes"])).owners == ["team:crm"]


def test_schedule_requests_a_build_as_of_its_day(defs) -> None:
    import dagster as dg

    schedule = defs.resolve_schedule_def("daily_build")
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 9, 30, 5, 0, tzinfo=UTC))
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.run_config["ops"]["dbt_build"]["config"]["as_of_date"] == "2026-09-30"
    assert request.tags["milestones/as_of"] == "2026-09-30"
    dg.validate_run_config(defs.resolve_job_def("build_warehouse"), request.run_config)


def test_sensor_requests_a_run_for_new_files_only(defs, tmp_path: Path, monkeypatch) -> None:
    import dagster as dg

    landing = tmp_path / "landing"
    landing.mkdir()
    monkeypatch.setenv("MILESTONES_LANDING_DIR", str(landing))
    monkeypatch.setenv("MILESTONES_LANDING_SETTLE_SECONDS", "0")
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(tmp_path / "nothing_loaded_yet.duckdb"))
    sensor = defs.resolve_sensor_def("landing_folder_sensor")

    def tick(cursor: str | None):
        with dg.build_sensor_context(cursor=cursor, instance=dg.DagsterInstance.ephemeral()) as context:
            return sensor.evaluate_tick(context)

    empty = tick(None)
    assert not empty.run_requests

    (landing / "accounts.csv").write_text("account_id,account_name\nacc_1,One\n")
    first = tick(empty.cursor)
    assert len(first.run_requests) == 1, "a new landing file starts a run"

    again = tick(first.cursor)
    assert not again.run_requests, "an old file does not"

    set_mtime(landing / "accounts.csv", 5)  # touched, same bytes
    touched = tick(again.cursor)
    assert not touched.run_requests, "an old file touched again does not"

    (landing / "events_2.jsonl").write_text('{"event_id": "e1"}\n')
    (landing / "readme.txt").write_text("not a landing file")
    second = tick(touched.cursor)
    assert len(second.run_requests) == 1, "another new file starts another run"
    assert second.run_requests[0].run_key != first.run_requests[0].run_key
    assert second.run_requests[0].tags["milestones/new_files"] == "1"


def test_a_first_tick_counts_what_the_warehouse_loaded_as_seen(defs, tmp_path: Path, monkeypatch) -> None:
    """A new Dagster home has no sensor cursor: files whose bytes the warehouse already loaded start
    nothing, a file it has not loaded starts a run."""
    import dagster as dg

    from milestones.load import load_directory

    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "accounts.csv").write_text("account_id,account_name\nacc_1,One\n")
    (landing / "events_1.jsonl").write_text('{"event_id": "e1"}\n')
    monkeypatch.setenv("MILESTONES_LANDING_DIR", str(landing))
    monkeypatch.setenv("MILESTONES_LANDING_SETTLE_SECONDS", "0")
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("MILESTONES_TARGET", "duckdb")
    load_directory(landing)
    sensor = defs.resolve_sensor_def("landing_folder_sensor")

    def tick(cursor: str | None):
        with dg.build_sensor_context(cursor=cursor, instance=dg.DagsterInstance.ephemeral()) as context:
            return sensor.evaluate_tick(context)

    first = tick(None)
    assert not first.run_requests, "files already in the warehouse start nothing"
    assert set(json.loads(first.cursor)) == {"accounts.csv", "events_1.jsonl"}

    (landing / "events_2.jsonl").write_text('{"event_id": "e2"}\n')
    fresh = tick(None)
    assert len(fresh.run_requests) == 1, "a file the warehouse has not loaded starts a run"
    assert fresh.run_requests[0].tags["milestones/new_files"] == "1"
