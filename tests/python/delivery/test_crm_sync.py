"""crm_account_milestone_sync and its snapshot: one row per crm_id, deterministic row hashes, and a
history that only grows when a synced field changes. The table is the snapshot's current versions:
updated_at is when a version was recorded, and each version keeps the as-of date that recorded it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SAMPLE_END
from delivery_helpers import SYNC, copy_warehouse, query

SNAPSHOT = "main_snapshots.crm_account_milestone_sync_snapshot"


def test_one_row_per_crm_id_with_hash_and_the_time_it_last_changed(built_duckdb: Path) -> None:
    rows = query(built_duckdb, f"select crm_id, account_id, row_hash, updated_at from {SYNC}")
    (with_crm_id,) = query(
        built_duckdb, "select count(*) from main_marts.dim_account_milestone_status where crm_id is not null"
    )[0]
    assert len(rows) == with_crm_id > 0
    assert len({crm_id for crm_id, *_ in rows}) == len(rows)
    assert all(len(row_hash) == 32 for _, _, row_hash, _ in rows)
    # updated_at is when the snapshot recorded the current version, which keeps the build's as-of date
    current = {
        crm_id: (row_hash, recorded_at, as_of_date)
        for crm_id, row_hash, recorded_at, as_of_date in query(
            built_duckdb,
            f"select crm_id, row_hash, dbt_valid_from, as_of_date from {SNAPSHOT} where dbt_valid_to is null",
        )
    }
    assert {crm_id: (row_hash, updated_at) for crm_id, _, row_hash, updated_at in rows} == {
        crm_id: (row_hash, recorded_at) for crm_id, (row_hash, recorded_at, _) in current.items()
    }
    assert {as_of_date for *_, as_of_date in current.values()} == {SAMPLE_END}


def test_synced_fields_carry_no_daily_counter(built_duckdb: Path) -> None:
    columns = {name for (name,) in query(built_duckdb, f"select column_name from (describe {SYNC})")}
    assert {"crm_id", "row_hash", "updated_at", "current_milestone_started_on", "stalled_since_on"} <= columns
    assert not columns & {"days_in_current_milestone", "days_overdue", "days_waiting", "as_of_date"}


def test_stall_fields_agree_with_the_milestones_and_the_queue(built_duckdb: Path) -> None:
    # every stalled account of the customer record, churned or not, carries its stall start and playbook
    stalled = query(
        built_duckdb,
        f"""
        select sync.crm_id
        from {SYNC} as sync
        inner join main_marts.dim_account_milestone_status as records on sync.account_id = records.account_id
        where sync.is_stalled <> records.is_stalled
           or sync.is_stalled <> (sync.stalled_since_on is not null and sync.stall_playbook is not null)
        """,
    )
    assert stalled == []
    # and for the accounts in the intervention queue, the same day and playbook as the queue
    disagreeing = query(
        built_duckdb,
        f"""
        select sync.crm_id
        from main_marts.mart_intervention_queue as queue
        inner join {SYNC} as sync on queue.account_id = sync.account_id
        where not sync.is_stalled
           or sync.stalled_since_on <> queue.first_due_on
           or sync.stall_playbook <> queue.playbook
        """,
    )
    assert disagreeing == []


@pytest.mark.slow
def test_a_rebuild_without_new_data_changes_no_hash_and_adds_no_history(
    built_duckdb: Path, dbt_artifacts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from milestones.build import run_build

    database = copy_warehouse(built_duckdb, tmp_path / "warehouse")
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))
    before = {
        crm_id: (row_hash, updated_at)
        for crm_id, row_hash, updated_at in query(
            database, f"select crm_id, row_hash, updated_at from {SYNC}"
        )
    }
    versions_before = query(
        database, f"select crm_id, row_hash, dbt_valid_from from {SNAPSHOT} order by crm_id"
    )

    assert run_build(as_of=SAMPLE_END, full_refresh=True) == 0

    # same hashes, and updated_at stays: nothing changed, so no version was recorded
    assert {
        crm_id: (row_hash, updated_at)
        for crm_id, row_hash, updated_at in query(
            database, f"select crm_id, row_hash, updated_at from {SYNC}"
        )
    } == before
    assert query(database, f"select crm_id, row_hash, dbt_valid_from from {SNAPSHOT} order by crm_id") == (
        versions_before
    )
    assert len(versions_before) == len(before)
