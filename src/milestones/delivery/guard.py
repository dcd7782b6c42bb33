"""Delivery never moves backwards by accident (docs/rules.md §6): deliver, or only analyse.

Delivery is what other systems read: the CRM snapshot `crm_account_milestone_sync_snapshot` (and so
`crm_account_milestone_sync`, its current versions, and `crm_account_milestone_changes`, the change
feed that `milestones export` writes out) and the serving file for BI tools. A build as of a day is

- a delivering build: dbt builds everything, snapshot included, the serving file is published, and a
  row of `<target schema>_delivery.deliveries` records the as-of date; or
- an analysis build, when its as-of is earlier than the last delivered one (a look at the past):
  dbt builds the models without the snapshot and nothing is published, so the CRM tables, the change
  feed and the serving file stay exactly as they were.

Moving delivery back is an explicit choice (`milestones build --move-delivery-back`, or the Dagster
run config `move_delivery_back`); that build delivers and its row says so. `decide` is the one place
that chooses, for `milestones build` and the Dagster job alike.

A delivery is recorded as soon as dbt has written it: when the dbt build succeeded, or when at least
the snapshot ran (a test failing after it does not undo it), so the next build compares with what
the CRM side really holds. A delivering `milestones build` whose optional seeds break their rules
(docs/rules.md §4) leaves the snapshot out of its dbt build and records nothing
(milestones.build.optional_seeds).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from milestones.warehouse import Warehouse, append_record, latest_record, resolve

DELIVERIES_TABLE = "deliveries"
# dbt's node selection that leaves the CRM snapshot out of an analysis build
SNAPSHOT_EXCLUSION = ("--exclude", "resource_type:snapshot")
CLI_MOVE_BACK = "--move-delivery-back"


@dataclass(frozen=True)
class Decision:
    """What a build as of `as_of` does with delivery, given the last delivered as-of date."""

    as_of: date
    last_delivered: date | None
    move_back_asked: bool = False

    @property
    def is_earlier(self) -> bool:
        return self.last_delivered is not None and self.as_of < self.last_delivered

    @property
    def delivers(self) -> bool:
        return not self.is_earlier or self.move_back_asked

    @property
    def moves_back(self) -> bool:
        return self.is_earlier and self.move_back_asked

    def dbt_arguments(self) -> list[str]:
        """Added to `dbt build`: nothing, or the exclusion of the snapshot in an analysis build."""
        return [] if self.delivers else list(SNAPSHOT_EXCLUSION)

    def summary(self, move_back_option: str = CLI_MOVE_BACK) -> str | None:
        """The one line an analysis build or a move back ends with (None for an ordinary delivery)."""
        if self.moves_back:
            return f"delivery moved back from {self.last_delivered} to {self.as_of} ({move_back_option})"
        if self.delivers:
            return None
        return (
            f"analysis build as of {self.as_of}: delivery stays as of {self.last_delivered} (CRM snapshot, "
            f"change feed and serving file unchanged); to move it back: {move_back_option}"
        )


def decide(as_of: date, move_back: bool = False, target: str | None = None) -> Decision:
    """Deliver, or only analyse: the one rule (see the module docstring)."""
    return Decision(as_of=as_of, last_delivered=last_delivered(target), move_back_asked=move_back)


def deliveries_relation(warehouse: Warehouse) -> tuple[str, str]:
    return f"{warehouse.schema}_delivery", DELIVERIES_TABLE


def last_delivered(target: str | None = None) -> date | None:
    """The as-of date of the latest recorded delivery; None before the first one."""
    warehouse = resolve(target)
    latest = latest_record(warehouse, *deliveries_relation(warehouse), order_by="delivered_at")
    return _as_date(latest["as_of_date"]) if latest else None


def record_delivery(decision: Decision, target: str | None = None) -> None:
    """Append the delivery to `<schema>_delivery.deliveries` (made on first use)."""
    warehouse = resolve(target)
    row = {
        "as_of_date": (decision.as_of, "date"),
        "delivered_at": (datetime.now(UTC).replace(tzinfo=None), "timestamp"),
        "is_move_back": (decision.moves_back, "boolean"),
    }
    append_record(warehouse, *deliveries_relation(warehouse), row)


def record_if_delivered(
    decision: Decision, succeeded: bool, results: Sequence[Mapping[str, Any]], target: str | None = None
) -> bool:
    """After the dbt step of a delivering build: record the delivery when dbt wrote it (the build
    succeeded, or at least the snapshot ran). `results` are the `results` of dbt's run_results.json."""
    if not decision.delivers:
        return False
    snapshot_ran = any(
        str(result.get("unique_id", "")).startswith("snapshot.") and result.get("status") == "success"
        for result in results
    )
    if not (succeeded or snapshot_ran):
        return False
    record_delivery(decision, target)
    return True


def run_results(path: Path | None) -> list[dict[str, Any]]:
    """The `results` of a dbt run_results.json; empty when dbt wrote none."""
    if path is None or not path.exists():
        return []
    return json.loads(path.read_text()).get("results", [])


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
