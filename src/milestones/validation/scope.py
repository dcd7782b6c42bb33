"""Which rows a validation reads: those whose contract verdict can have changed since the last one.

The contract model (int_events__contract_checked) stamps each row it checks with `processed_load_id`,
the newest load when it was checked; a row it does not recheck keeps its stamp. So the rows a build
(re)checked since the last passed validation are those stamped later than that validation's
watermark, and only they are read again: a day with one day of data validates one day of rows.

Everything is read again when the suites changed (the tracking plan, the tolerance), when the seeds'
fingerprint the contract model stored changed, on a full refresh, and until a validation has passed.
A failed validation records nothing, so its rows are read again by the next one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from milestones.validation.suites import CHECKED_EVENTS, CHECKED_LAYER, Suite, describe_suites
from milestones.warehouse import Warehouse, append_record, latest_record

VALIDATIONS_TABLE = "validations"


@dataclass(frozen=True)
class Scope:
    """Rows stamped after `since_load_id` (None: every row), and the state to record when they pass."""

    since_load_id: int | None
    processed_load_id: int | None
    seed_fingerprint: str | None
    suites_fingerprint: str
    why: str

    def describe(self) -> str:
        return f"new rows after load {self.since_load_id}" if self.since_load_id is not None else self.why


def validations_relation(warehouse: Warehouse) -> tuple[str, str]:
    return f"{warehouse.schema}_validation", VALIDATIONS_TABLE


def suites_fingerprint(suites: list[Suite]) -> str:
    """A hash of what the suites check (names, expectations, tolerances): a changed plan changes it."""
    text = json.dumps(describe_suites(suites), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def last_validation(warehouse: Warehouse) -> dict[str, Any] | None:
    return latest_record(warehouse, *validations_relation(warehouse), order_by="validated_at")


def checked_state(connection: Any, warehouse: Warehouse) -> tuple[int | None, str | None]:
    """The contract model's newest stamp and its seeds' fingerprint (None, None when unreadable)."""
    relation = f"{warehouse.schema}_{CHECKED_LAYER}.{CHECKED_EVENTS}"
    try:
        cursor = connection.cursor()
        cursor.execute(f"select max(processed_load_id), max(seed_fingerprint) from {relation}")
        stamp, fingerprint = cursor.fetchone()
        cursor.close()
    except Exception:  # no table yet: the suites report it as unreadable
        if warehouse.target == "postgres":
            connection.rollback()
        return None, None
    return (int(stamp) if stamp is not None else None), fingerprint


def decide_scope(
    last: dict[str, Any] | None, state: tuple[int | None, str | None], fingerprint: str, everything: bool
) -> Scope:
    stamp, seeds = state

    def scope(since: int | None, why: str) -> Scope:
        return Scope(since, stamp, seeds, fingerprint, why)

    if everything:
        return scope(None, "every row (asked for)")
    if last is None:
        return scope(None, "every row (no validation has passed yet)")
    if last.get("suites_fingerprint") != fingerprint:
        return scope(None, "every row (the suites changed)")
    if seeds is None or last.get("seed_fingerprint") != seeds or last.get("processed_load_id") is None:
        return scope(None, "every row (the seeds changed)")
    return scope(int(last["processed_load_id"]), "new rows")


def record_validation(warehouse: Warehouse, scope: Scope, rows: int) -> None:
    """After a passed validation: the watermark the next one reads after."""
    row = {
        "validated_at": (datetime.now(UTC).replace(tzinfo=None), "timestamp"),
        "processed_load_id": (scope.processed_load_id, "bigint"),
        "seed_fingerprint": (scope.seed_fingerprint, "varchar"),
        "suites_fingerprint": (scope.suites_fingerprint, "varchar"),
        "rows_validated": (rows, "bigint"),
        "is_everything": (scope.since_load_id is None, "boolean"),
    }
    append_record(warehouse, *validations_relation(warehouse), row)
