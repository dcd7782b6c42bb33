"""The Dagster job follows the delivery rule of `milestones build` (docs/rules.md §6): a run as of a day
before the last delivery builds the models without the CRM snapshot, and the delivery assets say why
and deliver nothing, so the snapshot, the serving file and the change feed stay as they were."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from dagster_support import END_DATE, small_landing

SNAPSHOT = "main_snapshots.crm_account_milestone_sync_snapshot"


def _run(job, instance, as_of: str):
    return job.execute_in_process(
        instance=instance,
        run_config={"ops": {"dbt_build": {"config": {"as_of_date": as_of}}}},
        raise_on_error=False,
    )


def _rows(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.slow
def test_a_run_of_an_earlier_day_delivers_nothing(dbt_artifacts: Path, tmp_path: Path, monkeypatch) -> None:
    import dagster as dg

    landing = small_landing(tmp_path / "landing")
    database, serving, exports = (
        tmp_path / "warehouse.duckdb",
        tmp_path / "serving.duckdb",
        tmp_path / "exports",
    )
    monkeypatch.setenv("MILESTONES_LANDING_DIR", str(landing))
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))
    monkeypatch.setenv("MILESTONES_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("MILESTONES_SERVING_PATH", str(serving))
    monkeypatch.setenv("MILESTONES_EXPORT_DIR", str(exports))
    monkeypatch.setenv("MILESTONES_TARGET", "duckdb")
    from orchestration.definitions import defs

    job = defs.resolve_job_def("build_warehouse")
    instance = dg.DagsterInstance.ephemeral()
    assert _run(job, instance, END_DATE.isoformat()).success
    snapshot = _rows(database, f"select * from {SNAPSHOT} order by dbt_scd_id")
    served, exported = serving.read_bytes(), _files(exports)

    earlier = (END_DATE - timedelta(days=10)).isoformat()
    result = _run(job, instance, earlier)

    assert result.success
    materialized = {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}
    assert "marts/dim_account_milestone_status" in materialized  # the models were built as of that day
    assert "delivery/html_report" in materialized
    assert not materialized & {
        "snapshots/crm_account_milestone_sync_snapshot",
        "delivery/serving_file",
        "delivery/crm_change_feed",
    }
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert sum(f"analysis build as of {earlier}" in message for message in messages) == 3  # dbt + 2 assets
    assert _rows(database, f"select * from {SNAPSHOT} order by dbt_scd_id") == snapshot
    assert serving.read_bytes() == served and _files(exports) == exported
    assert _rows(database, "select as_of_date, is_move_back from main_delivery.deliveries") == [
        (END_DATE, False)
    ]
