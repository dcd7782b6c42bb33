"""A generated landing folder cut into a sequence of loads that exercise what goes wrong with naive
incremental logic (docs/rules.md §7): late events (occurred weeks ago, arrive today), re-sent copies
of events that arrived earlier, accounts that land after their events (quarantined as unknown_account
until then), and new overrides and renewals. Built after each load, a warehouse must equal one built
once from all of them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from conftest import SAMPLE_END, environment

EVENT_COLUMNS = "event_id, account_id, user_id, event_name, occurred_at, received_at, properties"
LATE_ACCOUNTS = "account_id in (select account_id from main_raw.accounts order by account_id limit 5)"


def _copy(connection: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection.execute(f"copy ({query}) to '{path}' (header, delimiter ',')")


def cut_load_sequence(sample_landing: Path, work: Path) -> list[Path]:
    """Three landing folders cut from the sample in `work`: base, then a day with re-sent copies, then
    late data."""
    from milestones.load import load_directory

    with environment(MILESTONES_DUCKDB_PATH=str(work / "cutting.duckdb")):
        load_directory(sample_landing)
    folders = [work / "load_1", work / "load_2", work / "load_3"]
    # readable rows only: a malformed line has no fields to cut by
    readable = "from main_raw.events where _load_error is null"
    last_day = f"cast(try_cast(received_at as timestamptz) as date) >= date '{SAMPLE_END}' - 3"
    late = "hash(event_id) % 20 = 0"
    with duckdb.connect(str(work / "cutting.duckdb"), read_only=True) as connection:
        base = f"{readable} and not ({last_day}) and not ({late})"
        _copy(
            connection,
            f"select * exclude ({_meta()}) from main_raw.accounts where not {LATE_ACCOUNTS}",
            folders[0] / "accounts.csv",
        )
        _copy(connection, f"select {EVENT_COLUMNS} {base}", folders[0] / "events_base.csv")
        _copy(
            connection,
            f"select * exclude ({_meta()}) from main_raw.renewals where hash(account_id) % 2 = 0",
            folders[0] / "renewals_first.csv",
        )
        # the last days arrive, with re-sent copies of 200 earlier events (received later: duplicates)
        _copy(
            connection,
            f"select {EVENT_COLUMNS} {readable} and {last_day} and not ({late})",
            folders[1] / "events_last_days.csv",
        )
        resent_columns = EVENT_COLUMNS.replace("received_at", f"'{SAMPLE_END}T23:00:00Z' as received_at")
        _copy(
            connection,
            f"select {resent_columns} {base} order by event_id limit 200",
            folders[1] / "events_resent.csv",
        )
        # late events, the accounts that were missing, the overrides and the other renewals
        _copy(connection, f"select {EVENT_COLUMNS} {readable} and ({late})", folders[2] / "events_late.csv")
        _copy(
            connection,
            f"select * exclude ({_meta()}) from main_raw.accounts where {LATE_ACCOUNTS}",
            folders[2] / "accounts_late.csv",
        )
        _copy(
            connection,
            f"select * exclude ({_meta()}) from main_raw.milestone_overrides",
            folders[2] / "milestone_overrides.csv",
        )
        _copy(
            connection,
            f"select * exclude ({_meta()}) from main_raw.renewals where hash(account_id) % 2 = 1",
            folders[2] / "renewals_second.csv",
        )
    return folders


def _meta() -> str:
    return "_load_id, _file_name, _file_checksum, _loaded_at, _row_number, _raw_record, _load_error"
