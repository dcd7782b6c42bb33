"""`milestones export`: the CRM change feed, written out as files.

The change feed is a dbt model, `crm_account_milestone_changes` (one row per change the CRM snapshot
recorded: operation upsert or delete, changed_at, as_of_date and the synced fields; docs/rules.md §6),
which a reverse-ETL tool can also read in the warehouse (docs/reverse_etl.md). This module is a thin
writer of it: each run writes the changes recorded since the previous run as one JSON Lines file:

    <export dir>/crm_account_milestone_sync/changes_000001.jsonl, changes_000002.jsonl, ...
    <export dir>/crm_account_milestone_sync/_state.json          the watermark and the batch log

The export dir is MILESTONES_EXPORT_DIR, else <reports dir>/exports. Each line is one change of the
model, in changed_at then crm_id order: `_op` (its operation), `_batch`, `_changed_at` (its
changed_at), then its other columns (change_id, as_of_date, crm_id, ..., row_hash, updated_at). A
consumer applies the lines in order (upsert by crm_id, or delete), processes the files in number
order and remembers the last one it applied; batch files are immutable once they appear. An analysis
build (docs/rules.md §6) records no change, so the export after it writes nothing.

Crash safety. The watermark is the latest changed_at written; the state file lives beside the feed
(so deleting the folder starts a full re-export, and the feed and its watermark can never disagree).
One export:

1. records the batch it is about to write (number and watermark bounds) in the state file as
   `pending` (atomically: temp file, fsync, rename);
2. writes the rows to a temporary file, fsyncs it and renames it to its final name;
3. advances the watermark and clears `pending` (atomically again).

A crash before 1 changes nothing. A crash in 2 leaves a temporary file (deleted on the next run) and
the pending record: the next run rewrites the same batch from the same bounds - the rows are the same,
since the changes recorded at or before the upper bound never change (snapshot versions are kept as
recorded, and the model leaves out dbt_valid_to, the one column dbt updates later). A crash after the
rename leaves the final file: the next run sees it and only completes step 3. So nothing is lost and
nothing is written twice. Only one export runs at a time (a lock file).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from milestones import paths
from milestones.durable import fsync
from milestones.errors import UserError
from milestones.warehouse import Warehouse, resolve

FEED_NAME = "crm_account_milestone_sync"
CHANGES_MODEL = "crm_account_milestone_changes"
STATE_FILE = "_state.json"
STATE_VERSION = 1
# Fault injection for the crash tests: `kill_after_rows=N` (SIGKILL once N rows are in the temporary
# file) or `kill_before_commit` (SIGKILL after the rename, before the watermark advances).
FAULT_VARIABLE = "MILESTONES_EXPORT_FAULT"


@dataclass(frozen=True)
class ExportSummary:
    rows: int
    upserts: int
    deletes: int
    batch: int | None
    path: Path | None
    watermark: str | None
    resumed: bool = False

    def __str__(self) -> str:
        if self.path is None:
            return f"CRM change feed: nothing changed since the last export (watermark {self.watermark})"
        resumed = " (finished an interrupted export)" if self.resumed else ""
        return (
            f"CRM change feed: batch {self.batch}, {self.rows} changed accounts "
            f"({self.upserts} upserts, {self.deletes} deletes) in {self.path}{resumed}"
        )


def export_dir() -> Path:
    """MILESTONES_EXPORT_DIR, else <reports dir>/exports."""
    configured = os.environ.get("MILESTONES_EXPORT_DIR")
    return Path(configured).resolve() if configured else paths.reports_dir() / "exports"


def export_changes(target: str | None = None, out_dir: Path | None = None) -> ExportSummary:
    """Write the rows of the CRM sync that changed since the last export; see the module docstring."""
    feed_dir = (out_dir or export_dir()).resolve() / FEED_NAME
    feed_dir.mkdir(parents=True, exist_ok=True)
    warehouse = resolve(target)
    with _exclusive(feed_dir / ".lock"):
        _remove_temporary_files(feed_dir)
        state = _read_state(feed_dir)
        resumed = state["pending"] is not None
        with _connection(warehouse) as connection:
            changes = _changes_relation(connection, warehouse)
            if not resumed:
                upper = _latest_change_at(connection, changes)
                lower = state["watermark"]
                if upper is None or (lower is not None and upper <= lower):
                    return ExportSummary(0, 0, 0, None, None, lower)
                batch = state["next_batch"]
                state["pending"] = {
                    "batch": batch,
                    "lower": lower,
                    "upper": upper,
                    "file": f"changes_{batch:06d}.jsonl",
                }
                _write_state(feed_dir, state)
            pending = state["pending"]
            final = feed_dir / pending["file"]
            if final.exists():
                # the crash came after the rename: the batch is complete, only the commit is missing
                rows, upserts, deletes = _count_feed(final)
            else:
                columns, records = _changes(
                    connection, changes, pending["lower"], pending["upper"], warehouse
                )
                rows, upserts, deletes = _write_feed(final, pending["batch"], columns, records)
        _maybe_fault("kill_before_commit")
        if rows:
            state["batches"].append(
                {
                    "batch": pending["batch"],
                    "file": pending["file"],
                    "rows": rows,
                    "upserts": upserts,
                    "deletes": deletes,
                    "after": pending["lower"],
                    "through": pending["upper"],
                }
            )
            # a batch without rows writes no file and uses no number: consumers see no gaps
            state["next_batch"] = pending["batch"] + 1
        state["watermark"] = pending["upper"]
        state["pending"] = None
        _write_state(feed_dir, state)
        if not rows:
            return ExportSummary(0, 0, 0, None, None, pending["upper"], resumed)
        return ExportSummary(rows, upserts, deletes, pending["batch"], final, pending["upper"], resumed)


@contextlib.contextmanager
def _connection(warehouse: Warehouse) -> Iterator[Any]:
    connection = warehouse.connect(read_only=True)
    try:
        yield connection
    finally:
        connection.close()


def _query(connection: Any, sql: str, parameters: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
    cursor = connection.cursor()
    try:
        cursor.execute(sql, list(parameters))
        columns = [description[0] for description in cursor.description]
        return columns, cursor.fetchall()
    finally:
        cursor.close()


def _changes_relation(connection: Any, warehouse: Warehouse) -> str:
    schema = f"{warehouse.schema}_marts"
    p = warehouse.placeholder
    _, found = _query(
        connection,
        f"select count(*) from information_schema.tables where table_schema = {p} and table_name = {p}",
        [schema, CHANGES_MODEL],
    )
    if not found[0][0]:
        raise UserError(
            f"no {schema}.{CHANGES_MODEL} in {warehouse.describe()}: run `milestones build` first"
        )
    return f"{schema}.{CHANGES_MODEL}"


def _latest_change_at(connection: Any, changes: str) -> str | None:
    """The new watermark: when the latest change was recorded."""
    _, rows = _query(connection, f"select max(changed_at) from {changes}")
    latest = rows[0][0]
    return None if latest is None else _timestamp_text(latest)


def _changes(
    connection: Any, changes: str, lower: str | None, upper: str, warehouse: Warehouse
) -> tuple[list[str], list[tuple]]:
    """The changes recorded in (lower, upper], in the order a consumer applies them."""
    p = warehouse.placeholder
    after_lower = "true" if lower is None else f"changed_at > cast({p} as timestamp)"
    parameters = [upper] if lower is None else [lower, upper]
    return _query(
        connection,
        f"""
        select * from {changes}
        where {after_lower} and changed_at <= cast({p} as timestamp)
        order by changed_at, crm_id
        """,
        parameters,
    )


def _write_feed(final: Path, batch: int, columns: list[str], records: list[tuple]) -> tuple[int, int, int]:
    """Write the batch to a temporary file, fsync, rename into place. No rows: no file."""
    if not records:
        return 0, 0, 0
    temporary = final.with_name(final.name + ".tmp")
    fault_rows = _fault_rows()
    upserts = deletes = 0
    with temporary.open("w", encoding="utf-8") as feed:
        for written, record in enumerate(records, start=1):
            values = dict(zip(columns, record, strict=True))
            line = {"_op": values.pop("operation"), "_batch": batch, "_changed_at": values.pop("changed_at")}
            line.update(values)
            feed.write(json.dumps(line, default=_json_value, ensure_ascii=False) + "\n")
            if line["_op"] == "delete":
                deletes += 1
            else:
                upserts += 1
            if fault_rows is not None and written >= fault_rows:
                feed.flush()
                os.fsync(feed.fileno())
                os.kill(os.getpid(), signal.SIGKILL)
        feed.flush()
        os.fsync(feed.fileno())
    os.replace(temporary, final)
    fsync(final.parent)
    return len(records), upserts, deletes


def _count_feed(final: Path) -> tuple[int, int, int]:
    upserts = deletes = 0
    with final.open(encoding="utf-8") as feed:
        for line in feed:
            if json.loads(line)["_op"] == "delete":
                deletes += 1
            else:
                upserts += 1
    return upserts + deletes, upserts, deletes


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {value!r}")


def _timestamp_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    return str(value)


def _read_state(feed_dir: Path) -> dict[str, Any]:
    path = feed_dir / STATE_FILE
    if not path.exists():
        return {"version": STATE_VERSION, "watermark": None, "next_batch": 1, "pending": None, "batches": []}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UserError(f"cannot read the export state {path}: {error}") from None
    if state.get("version") != STATE_VERSION:
        raise UserError(f"{path} has state version {state.get('version')!r}, expected {STATE_VERSION}")
    return state


def _write_state(feed_dir: Path, state: dict[str, Any]) -> None:
    """Atomically: a temporary file, fsync, rename, fsync the folder."""
    path = feed_dir / STATE_FILE
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync(feed_dir)


def _remove_temporary_files(feed_dir: Path) -> None:
    """Leftovers of a crashed run: never read by consumers (they read *.jsonl only)."""
    for leftover in feed_dir.glob("*.tmp"):
        leftover.unlink()


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"another export is writing {lock_path.parent}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fault_rows() -> int | None:
    fault = os.environ.get(FAULT_VARIABLE, "")
    if fault.startswith("kill_after_rows="):
        return int(fault.split("=", 1)[1])
    return None


def _maybe_fault(point: str) -> None:
    if os.environ.get(FAULT_VARIABLE) == point:
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
