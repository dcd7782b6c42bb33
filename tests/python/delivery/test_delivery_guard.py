"""Delivery never moves backwards by accident (docs/rules.md §6), and the change feed is a model.

A build as of a day before the last delivered one is an analysis build: the CRM snapshot, the export
and the serving file stay byte for byte as they were, and the build says so in one line; moving
delivery back takes --move-delivery-back and is recorded. The change feed model
crm_account_milestone_changes gets one row per change: exactly the account whose fields changed.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from conftest import SAMPLE_END
from dagster_support import write_events
from delivery_helpers import SYNC, copy_warehouse, query, synced_accounts
from milestones.delivery.export import export_changes
from milestones.delivery.guard import Decision, last_delivered
from milestones.delivery.publish import publish

SNAPSHOT = "main_snapshots.crm_account_milestone_sync_snapshot"
CHANGES = "main_marts.crm_account_milestone_changes"
DELIVERIES = "main_delivery.deliveries"
EARLIER = SAMPLE_END - timedelta(days=15)


@pytest.fixture
def warehouse(built_duckdb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    database = copy_warehouse(built_duckdb, tmp_path / "warehouse")
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))
    monkeypatch.setenv("MILESTONES_SERVING_PATH", str(tmp_path / "serving" / "serving.duckdb"))
    monkeypatch.setenv("MILESTONES_EXPORT_DIR", str(tmp_path / "exports"))
    return database


def _snapshot_rows(database: Path) -> list[tuple]:
    return query(database, f"select * from {SNAPSHOT} order by dbt_scd_id")


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under a folder, by relative path, with its bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_rule_delivers_forward_and_analyses_the_past() -> None:
    day = date(2026, 9, 30)
    assert Decision(day, None).delivers  # nothing delivered yet
    assert Decision(day, day).delivers and not Decision(day, day).moves_back  # a rebuild of the same day
    assert Decision(day, day - timedelta(days=1)).dbt_arguments() == []
    past = Decision(day - timedelta(days=1), day)
    assert not past.delivers and past.dbt_arguments() == ["--exclude", "resource_type:snapshot"]
    assert "analysis build" in past.summary() and "--move-delivery-back" in past.summary()
    moved = Decision(day - timedelta(days=1), day, move_back_asked=True)
    assert moved.delivers and moved.moves_back and moved.dbt_arguments() == []


def _on_postgres(sql: str) -> list[tuple]:
    import psycopg2

    import services

    connection = psycopg2.connect(**services.configured_postgres().connect_args())
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


@pytest.mark.postgres
def test_deliveries_are_recorded_on_postgres(postgres, monkeypatch: pytest.MonkeyPatch) -> None:
    from milestones.delivery.guard import decide, record_delivery

    schema = f"milestones_test_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("MILESTONES_PG_SCHEMA", schema)
    day, earlier = date(2026, 9, 30), date(2026, 9, 27)
    try:
        assert decide(day, target="postgres").last_delivered is None  # no table yet
        record_delivery(Decision(day, None), target="postgres")
        past = decide(earlier, target="postgres")
        assert (past.last_delivered, past.delivers) == (day, False)
        record_delivery(Decision(earlier, day, move_back_asked=True), target="postgres")
        assert last_delivered("postgres") == earlier
        recorded = _on_postgres(
            f"select as_of_date, is_move_back from {schema}_delivery.deliveries order by 1"
        )
        assert recorded == [(earlier, True), (day, False)]
    finally:
        _on_postgres(f'drop schema if exists "{schema}_delivery" cascade')


@pytest.mark.slow
def test_a_build_of_the_past_leaves_delivery_as_it_was_until_moved_back_explicitly(
    warehouse: Path, dbt_artifacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from milestones.build import run_build

    # delivered as of SAMPLE_END (the session's build), published and exported
    assert last_delivered() == SAMPLE_END
    serving = publish()
    feed = tmp_path / "exports"
    assert export_changes().rows == len(synced_accounts(warehouse))
    snapshot, served, exported = _snapshot_rows(warehouse), serving.read_bytes(), _files(feed)
    sync = query(warehouse, f"select * from {SYNC} order by crm_id")
    sync_dates = query(warehouse, f"select crm_id, signed_up_on from {SYNC}")
    capsys.readouterr()

    assert run_build(as_of=EARLIER) == 0

    said = [line for line in capsys.readouterr().out.splitlines() if "analysis build" in line]
    assert said == [
        f"analysis build as of {EARLIER}: delivery stays as of {SAMPLE_END} (CRM snapshot, change feed "
        "and serving file unchanged); to move it back: --move-delivery-back"
    ]
    (as_of,) = query(warehouse, "select max(as_of_date) from main_marts.dim_account_milestone_status")[0]
    assert as_of == EARLIER, "the models were built as of the earlier day"
    assert _snapshot_rows(warehouse) == snapshot
    assert query(warehouse, f"select * from {SYNC} order by crm_id") == sync
    assert serving.read_bytes() == served
    assert export_changes().path is None
    assert _files(feed) == exported
    assert query(warehouse, f"select as_of_date, is_move_back from {DELIVERIES}") == [(SAMPLE_END, False)]

    assert run_build(as_of=EARLIER, move_delivery_back=True) == 0

    assert f"delivery moved back from {SAMPLE_END} to {EARLIER}" in capsys.readouterr().out
    assert query(warehouse, f"select as_of_date, is_move_back from {DELIVERIES} order by delivered_at") == [
        (SAMPLE_END, False),
        (EARLIER, True),
    ]
    assert last_delivered() == EARLIER
    assert serving.read_bytes() != served
    # accounts that signed up after the earlier day leave the CRM sync: deleted, and the rest updated
    later_signups = {
        crm_id
        for (crm_id,) in query(
            warehouse,
            f"select crm_id from {SNAPSHOT} where dbt_valid_to is null and dbt_is_deleted = 'True'",
        )
    }
    expected = {crm_id for crm_id, *_, signed_up_on in sync_dates if signed_up_on > EARLIER}
    assert later_signups == expected and later_signups
    moved_back = export_changes()
    assert moved_back.deletes == len(later_signups) and moved_back.upserts > 0


@pytest.mark.slow
def test_the_change_feed_gets_one_row_for_the_one_account_that_changed(
    warehouse: Path, dbt_artifacts: Path, tmp_path: Path
) -> None:
    from milestones.build import run_build
    from milestones.load import load_directory

    before = {row[0]: row for row in query(warehouse, f"select * from {CHANGES}")}
    # a trial account waiting on its integration milestone connects Slack: that milestone completes
    crm_id, account_id, completed = query(
        warehouse,
        f"""
        select crm_id, account_id, milestones_completed from {SYNC}
        where current_milestone_id = 't_integration' order by crm_id limit 1
        """,
    )[0]
    landing = tmp_path / "landing"
    landing.mkdir()
    write_events(
        landing / "events_integration.jsonl",
        account_id,
        [("integration_connected", {"integration": "slack"})],
    )
    load_directory(landing)

    assert run_build(as_of=SAMPLE_END) == 0

    columns = [name for (name,) in query(warehouse, f"select column_name from (describe {CHANGES})")]
    after = query(warehouse, f"select * from {CHANGES}")
    new = [dict(zip(columns, row, strict=True)) for row in after if row[0] not in before]
    assert len(new) == 1
    (change,) = new
    assert (change["operation"], change["crm_id"], change["as_of_date"]) == ("upsert", crm_id, SAMPLE_END)
    assert change["milestones_completed"] == completed + 1
    assert change["changed_at"] > max(row[columns.index("changed_at")] for row in before.values())
    assert sorted(row for row in after if row[0] in before) == sorted(before.values())
    # the sync table's updated_at is when the fields last changed: moved for that account only
    (updated_at,) = query(warehouse, f"select updated_at from {SYNC} where crm_id = ?", [crm_id])[0]
    assert updated_at == change["changed_at"]
    moved = query(warehouse, f"select count(*) from {SYNC} where updated_at = ?", [change["changed_at"]])
    assert moved == [(1,)]
