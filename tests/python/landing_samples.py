"""A small landing folder with every file kind and format and the rows that get a load error: the loader
tests of every target load the same one."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb

from milestones.load import LOADS_COLUMNS
from milestones.load.landing import table_columns

GOOD_EVENT = {
    "event_id": "e1",
    "account_id": "a1",
    "user_id": "u1",
    "event_name": "task_created",
    "occurred_at": "2026-03-01T10:00:00Z",
    "received_at": "2026-03-01T10:00:01Z",
    "properties": {"project_id": "p1", "n": 3},
}


def write_mixed_landing(folder: Path) -> Path:
    """JSON Lines (plain and gzip), CSV and Parquet files; 8 event rows, of which 4 cannot be read."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(GOOD_EVENT),
        "not json",
        "[1]",
        "",
        json.dumps({"event_id": 7, "properties": None, "note": 'quote " and comma ,'}),
        '{"event_id": "multi\\nline", "account_id": ""}',
        '{"event_id": "nul\\u0000char", "user_id": "ünï"}',
    ]
    (folder / "events_1.jsonl").write_text("\n".join(lines) + "\r\n")
    second = json.dumps(GOOD_EVENT | {"event_id": "e2"}).encode()
    (folder / "events_2.jsonl.gz").write_bytes(gzip.compress(second))
    (folder / "accounts.csv").write_text(
        "account_id,account_name,segment,signup_at,arr,crm_id,owner\n"
        'a1,"Acme, ""Inc""",smb,2026-01-01,100,,ann\n'
        "a2,bad,row\n"
        'a3,"two\nlines",mid,2026-01-02,"",c3,bo\n'
    )
    (folder / "renewals.csv").write_text("account_id,renewal_date,outcome,arr_before,arr_after\n")
    (folder / "experiment_assignments.csv").write_text(
        "account_id,experiment_id,variant,assigned_at\na1,x,b,2026-02-01\n"
    )
    with duckdb.connect() as connection:
        connection.execute(
            f"""COPY (SELECT 'a' || i AS account_id, 'm' || i AS milestone_id,
                             TIMESTAMP '2026-02-01 09:30:00' AS completed_at, 'csm' AS marked_by,
                             CASE WHEN i = 2 THEN NULL ELSE 'note ' || i END AS note
                      FROM range(3) t(i))
                TO '{folder / "milestone_overrides.parquet"}' (FORMAT parquet)"""
        )
    return folder


def raw_columns(table: str) -> list[str]:
    """The columns of a raw table the loader writes, its `_loads` table included."""
    return [name for name, _ in LOADS_COLUMNS] if table == "_loads" else table_columns(table)
