"""The tracking plan as the seeds state it (SPEC section 4): the events and their planned properties.

Read straight from the CSV files a user edits, so that the generated expectation suites follow the
plan without anyone copying it by hand.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from milestones import paths
from milestones.errors import UserError

PROPERTY_TYPES = ("string", "integer", "number", "boolean", "timestamp")

# The JSON kinds (as the contract names them) a planned type accepts. `integer` is a JSON number without
# a fractional part, so it also satisfies `number`; `timestamp` is a string that reads as ISO 8601.
ACCEPTED_KINDS: dict[str, tuple[str, ...]] = {
    "string": ("string",),
    "integer": ("integer",),
    "number": ("integer", "number"),
    "boolean": ("boolean",),
    "timestamp": ("timestamp",),
}


@dataclass(frozen=True)
class PlannedEvent:
    name: str
    status: str  # active | deprecated


@dataclass(frozen=True)
class PlannedProperty:
    event_name: str
    name: str
    type: str
    required: bool
    allowed_values: tuple[str, ...]


@dataclass(frozen=True)
class TrackingPlan:
    events: tuple[PlannedEvent, ...]
    properties: tuple[PlannedProperty, ...]

    @property
    def event_names(self) -> list[str]:
        return [event.name for event in self.events]

    def properties_of(self, event_name: str) -> list[PlannedProperty]:
        return [prop for prop in self.properties if prop.event_name == event_name]


def seeds_dir() -> Path:
    return paths.PROJECT_DIR / "seeds"


def read_tracking_plan(directory: Path | None = None) -> TrackingPlan:
    """The plan in `directory` (default: the project's seeds/): tracking_plan_events.csv and
    tracking_plan_properties.csv. A row the suites cannot be generated from is a UserError naming it."""
    directory = directory or seeds_dir()
    events_file = directory / "tracking_plan_events.csv"
    properties_file = directory / "tracking_plan_properties.csv"
    events = tuple(
        PlannedEvent(
            name=_required(row, "event_name", events_file, line), status=(row.get("status") or "").strip()
        )
        for line, row in _rows(events_file)
    )
    known = {event.name for event in events}
    properties: list[PlannedProperty] = []
    for line, row in _rows(properties_file):
        event_name = _required(row, "event_name", properties_file, line)
        name = _required(row, "property", properties_file, line)
        planned_type = _required(row, "type", properties_file, line)
        if planned_type not in PROPERTY_TYPES:
            raise UserError(
                f"{properties_file.name} line {line}: type {planned_type!r} of {event_name}.{name} "
                f"is not one of {', '.join(PROPERTY_TYPES)}"
            )
        if event_name not in known:
            raise UserError(
                f"{properties_file.name} line {line}: event {event_name!r} is not in {events_file.name}"
            )
        required_text = (row.get("required") or "").strip().lower()
        if required_text not in ("true", "false"):
            raise UserError(
                f"{properties_file.name} line {line}: required must be true or false, not {required_text!r}"
            )
        allowed = (row.get("allowed_values") or "").strip()
        properties.append(
            PlannedProperty(
                event_name=event_name,
                name=name,
                type=planned_type,
                required=required_text == "true",
                allowed_values=tuple(value for value in allowed.split("|") if value) if allowed else (),
            )
        )
    return TrackingPlan(events=events, properties=tuple(properties))


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    if not path.exists():
        raise UserError(f"tracking plan file not found: {path}")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        # line numbers as an editor shows them: the header is line 1
        return [(index + 2, row) for index, row in enumerate(reader)]


def _required(row: dict[str, str], column: str, path: Path, line: int) -> str:
    value = (row.get(column) or "").strip()
    if not value:
        raise UserError(f"{path.name} line {line}: {column} is empty")
    return value
