"""Landing freshness (docs/rules.md §3): `milestones build` names each stale landing table, says in one
line when all are fresh, and a delivering build stops before dbt when a table is past its error
threshold."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from conftest import SAMPLE_END
from milestones.build.freshness import Freshness, blocks_delivery, freshness_lines

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
DAY = 86_400


def _result(table: str, status: str, days_old: float, warn: str | None = "2 days") -> Freshness:
    return Freshness(
        table=f"landing.{table}",
        status=status,
        newest_load=NOW - timedelta(days=days_old),
        age_seconds=days_old * DAY,
        warn_after=warn,
        error_after="7 days" if warn == "2 days" else None,
    )


def test_all_fresh_is_one_line_with_the_newest_load() -> None:
    lines = freshness_lines([_result("accounts", "pass", 1.5, "7 days"), _result("events", "pass", 0.5)])
    assert lines == ["landing sources fresh (newest load 2026-12-02 00:00 UTC)"]


def test_one_line_per_stale_table_with_its_thresholds() -> None:
    results = [_result("accounts", "pass", 1, "7 days"), _result("events", "warn", 3)]
    assert freshness_lines(results) == [
        "landing.events is stale: newest row loaded 2026-11-29 12:00 UTC, 3.0 days ago"
        " (warn after 2 days, error after 7 days)"
    ]


def test_past_the_error_threshold_stops_a_delivering_build_only() -> None:
    results = [_result("events", "error", 8), Freshness("landing.accounts", "runtime error", error="no rows")]
    assert blocks_delivery(results, delivers=True)
    assert not blocks_delivery(results, delivers=False), "an analysis build delivers nothing: it only warns"
    assert not blocks_delivery([_result("events", "warn", 3)], delivers=True)
    lines = freshness_lines(results, blocked=True)
    assert lines[0].startswith("landing.events is past its error threshold: newest row loaded 2026-11-24")
    assert lines[1] == "landing.accounts freshness not checked: no rows"
    assert lines[2].startswith("milestones build: stopped before dbt")


def test_thresholds_are_the_sources_yaml_table_keys_over_the_source_ones(tmp_path: Path) -> None:
    from milestones import paths
    from milestones.build.freshness import SOURCES_FILE, Policy, policies

    day = "day"
    assert policies() == [
        Policy("events", "_loaded_at", {"count": 2, "period": day}, {"count": 7, "period": day}),
        Policy("accounts", "_loaded_at", {"count": 7, "period": day}, None),
    ], "renewals, overrides, assignments and _loads have no threshold"

    # another project: a table that only tightens the warning keeps the source's error threshold
    text = (paths.PROJECT_DIR / SOURCES_FILE).read_text()
    text = text.replace(
        "warn_after: {count: 7, period: day}\n            error_after: null",
        "warn_after: {count: 12, period: hour}",
    )
    own = tmp_path / SOURCES_FILE
    own.parent.mkdir(parents=True)
    own.write_text(text)
    accounts = next(policy for policy in policies(tmp_path) if policy.table == "accounts")
    assert (accounts.warn_after, accounts.error_after) == (
        {"count": 12, "period": "hour"},
        {"count": 7, "period": day},
    )


def _tiny_landing(folder: Path) -> Path:
    folder.mkdir()
    (folder / "accounts.csv").write_text(
        "account_id,account_name,segment,signup_at,arr,crm_id,owner\n"
        "acc_1,One,smb,2026-01-01T00:00:00Z,1000,crm_1,ana\n"
    )
    event = {"event_id": "e1", "account_id": "acc_1", "user_id": "u1", "event_name": "signed_up"}
    (folder / "events_1.jsonl").write_text(json.dumps(event) + "\n")
    return folder


def test_build_reports_fresh_landing_and_stops_on_stale(tmp_path: Path, monkeypatch, capsys) -> None:
    """The check runs on a warehouse loaded just now, then with the events' load time moved 8 days
    back (and the accounts' 8 hours: fresh still). Its own dbt folders: another warehouse would make
    the session's dbt re-parse."""
    from milestones.build import run_build
    from milestones.build.freshness import check_freshness
    from milestones.load import load_directory

    database = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))
    monkeypatch.setenv("MILESTONES_TARGET", "duckdb")
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    load_directory(_tiny_landing(tmp_path / "landing"))
    capsys.readouterr()

    assert check_freshness(None, delivers=True)
    fresh = capsys.readouterr().out
    assert fresh.startswith("landing sources fresh (newest load "), fresh
    assert "landing.events" not in fresh

    with duckdb.connect(str(database)) as connection:
        connection.execute("update main_raw.events set _loaded_at = _loaded_at - interval 8 day")
        connection.execute("update main_raw.accounts set _loaded_at = _loaded_at - interval 8 hour")
    assert run_build(as_of=SAMPLE_END) == 1
    stale = capsys.readouterr()
    assert "landing.events is past its error threshold: newest row loaded" in stale.err
    assert "(warn after 2 days, error after 7 days)" in stale.err
    assert "landing.accounts" not in stale.out + stale.err, "accounts were loaded just now"
    assert "milestones build: stopped before dbt" in stale.err
    with duckdb.connect(str(database), read_only=True) as connection:
        marts = connection.execute(
            "select count(*) from information_schema.tables where table_schema = 'main_marts'"
        ).fetchone()
    assert marts == (0,), "dbt build never ran"
