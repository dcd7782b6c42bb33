"""`milestones export`: the CRM change feed holds exactly what changed since the previous export, a rerun
exports nothing new, and an export killed midway is finished by the next run without losing or
duplicating a row, even when a build lands in between."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE_END
from delivery_helpers import copy_warehouse, land_account_changes, read_feed, synced_accounts
from milestones.delivery.export import FEED_NAME, export_changes

EXPORT_IN_A_SUBPROCESS = "from milestones.delivery.export import export_changes; export_changes()"


@pytest.fixture
def warehouse(built_duckdb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    database = copy_warehouse(built_duckdb, tmp_path / "warehouse")
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))
    return database


def _killed_export(database: Path, feed: Path, fault: str) -> None:
    environment = {
        **os.environ,
        "MILESTONES_DUCKDB_PATH": str(database),
        "MILESTONES_EXPORT_DIR": str(feed),
        "MILESTONES_EXPORT_FAULT": fault,
    }
    result = subprocess.run(
        [sys.executable, "-c", EXPORT_IN_A_SUBPROCESS],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr


def _state(feed: Path) -> dict:
    return json.loads((feed / FEED_NAME / "_state.json").read_text())


def _feed_files(feed: Path) -> list[str]:
    """The finished batch files: what a consumer reads (temporary files end in .tmp)."""
    return sorted(path.name for path in (feed / FEED_NAME).glob("*.jsonl"))


def _changes(lines: list[dict]) -> set[tuple[str, str]]:
    return {(line["_op"], line["crm_id"]) for line in lines}


def test_first_export_holds_every_account_and_a_rerun_nothing(warehouse: Path, tmp_path: Path) -> None:
    feed = tmp_path / "exports"
    accounts = synced_accounts(warehouse)

    first = export_changes(out_dir=feed)

    assert (first.batch, first.rows, first.upserts, first.deletes) == (1, len(accounts), len(accounts), 0)
    lines = read_feed(first.path)
    assert [line["crm_id"] for line in lines] == sorted(accounts)
    assert {line["account_id"] for line in lines} == set(accounts.values())
    assert {"_op", "_batch", "_changed_at", "crm_id", "row_hash", "updated_at"} <= set(lines[0])
    rerun = export_changes(out_dir=feed)
    assert (rerun.rows, rerun.path) == (0, None)
    assert _feed_files(feed) == ["changes_000001.jsonl"]


@pytest.mark.slow
def test_each_export_holds_exactly_the_changed_accounts_even_across_a_crash(
    warehouse: Path, sample_landing: Path, dbt_artifacts: Path, tmp_path: Path
) -> None:
    from milestones.build import run_build
    from milestones.load import load_directory

    feed = tmp_path / "exports"
    accounts = synced_accounts(warehouse)
    crm_ids = sorted(accounts)
    assert export_changes(out_dir=feed).rows == len(accounts)

    # change 1: two owners change, and one account moves to another CRM record (delete + upsert)
    owner_a, owner_b, moved, later = crm_ids[0], crm_ids[1], crm_ids[2], crm_ids[3]
    land_account_changes(
        sample_landing,
        tmp_path / "change_1",
        {
            accounts[owner_a]: {"owner": "Ada Reassigned"},
            accounts[owner_b]: {"owner": "Bo Reassigned"},
            accounts[moved]: {"crm_id": "0015MOVED0000001"},
        },
    )
    load_directory(tmp_path / "change_1")
    assert run_build(as_of=SAMPLE_END) == 0

    # the export of change 1 is killed after its first row ...
    _killed_export(warehouse, feed, "kill_after_rows=1")
    assert _state(feed)["pending"]["batch"] == 2
    assert _feed_files(feed) == ["changes_000001.jsonl"]

    # ... and before it is rerun, change 2 lands and is built
    land_account_changes(sample_landing, tmp_path / "change_2", {accounts[later]: {"owner": "Cy Reassigned"}})
    load_directory(tmp_path / "change_2")
    assert run_build(as_of=SAMPLE_END) == 0

    second = export_changes(out_dir=feed)  # finishes batch 2 with change 1 only
    assert second.resumed and second.batch == 2
    lines = read_feed(second.path)
    assert _changes(lines) == {
        ("upsert", owner_a),
        ("upsert", owner_b),
        ("upsert", "0015MOVED0000001"),
        ("delete", moved),
    }
    owners = {line["crm_id"]: line["account_owner"] for line in lines if line["_op"] == "upsert"}
    assert owners[owner_a] == "Ada Reassigned" and owners[owner_b] == "Bo Reassigned"

    third = export_changes(out_dir=feed)  # change 2, exactly once
    assert third.batch == 3
    third_lines = read_feed(third.path)
    assert _changes(third_lines) == {("upsert", later)}
    assert third_lines[0]["account_owner"] == "Cy Reassigned"

    assert export_changes(out_dir=feed).path is None
    assert _feed_files(feed) == ["changes_000001.jsonl", "changes_000002.jsonl", "changes_000003.jsonl"]
    assert [batch["rows"] for batch in _state(feed)["batches"]] == [len(accounts), 4, 1]


@pytest.mark.parametrize("fault", ["kill_after_rows=25", "kill_before_commit"])
def test_a_killed_export_is_finished_by_the_rerun_without_duplicates(
    warehouse: Path, tmp_path: Path, fault: str
) -> None:
    feed = tmp_path / "exports"
    accounts = synced_accounts(warehouse)
    feed_dir = feed / FEED_NAME

    _killed_export(warehouse, feed, fault)

    state = _state(feed)
    assert state["watermark"] is None and state["pending"]["batch"] == 1
    final = feed_dir / "changes_000001.jsonl"
    if fault == "kill_before_commit":
        assert final.exists()  # renamed, but the watermark never advanced
        written = final.read_bytes()
    else:
        assert not final.exists()
        partial = feed_dir / "changes_000001.jsonl.tmp"
        assert len(partial.read_text().splitlines()) == 25

    finished = export_changes(out_dir=feed)

    assert finished.resumed and finished.batch == 1 and finished.rows == len(accounts)
    crm_ids = [line["crm_id"] for line in read_feed(final)]
    assert crm_ids == sorted(accounts)  # every account once: none lost, none twice
    if fault == "kill_before_commit":
        assert final.read_bytes() == written
    assert not list(feed_dir.glob("*.tmp"))
    assert _state(feed)["pending"] is None
    assert export_changes(out_dir=feed).path is None
    assert _feed_files(feed) == ["changes_000001.jsonl"]
