"""The four seeds a user edits (docs/rules.md §4), read as they stand: their rows, and the tracking plan.

Reading is all this module does. The seeds' rules are dbt tests (macros/generic_tests/
user_seeds_are_well_formed.sql): `milestones build` runs them, and the generator has dbt run them
first (milestones.build.seed_check). Both the generator and the validation suites read the tracking
plan through `read_tracking_plan`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from milestones import paths
from milestones.errors import UserError

SEED_HEADERS = {
    "tracking_plan_events.csv": ["event_name", "status", "owner", "description"],
    "tracking_plan_properties.csv": [
        "event_name",
        "property",
        "type",
        "required",
        "allowed_values",
        "description",
    ],
    "milestones.csv": [
        "segment",
        "milestone_id",
        "sequence",
        "name",
        "description",
        "depends_on",
        "target_days",
        "weight",
        "playbook",
    ],
    "milestone_criteria.csv": [
        "segment",
        "milestone_id",
        "criterion_id",
        "event_name",
        "filter_property",
        "filter_values",
        "measure",
        "distinct_property",
        "group_by_property",
        "threshold",
    ],
}

SeedRow = tuple[int, dict[str, str]]  # (line number as an editor shows it, column -> trimmed text)


def project_seeds_dir() -> Path:
    return paths.PROJECT_DIR / "seeds"


def read_seed(path: Path) -> list[SeedRow]:
    """A seed's rows with their line numbers (the header is line 1), blank lines left out. A header or a
    row that does not have the seed's columns is a UserError naming it."""
    header = SEED_HEADERS[path.name]
    if not path.exists():
        raise UserError(f"seed {path} is missing")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        got = next(reader, [])
        if got != header:
            raise UserError(f"seed {path.name}: header {got} is not {header}")
        rows = []
        for line, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                raise UserError(f"seed {path.name} line {line}: {len(values)} fields, expected {len(header)}")
            rows.append((line, {key: value.strip() for key, value in zip(header, values, strict=True)}))
    return rows


def split_values(text: str) -> tuple[str, ...]:
    """`a|b` -> ("a", "b"): the seeds' lists (allowed_values, depends_on, filter_values)."""
    return tuple(value.strip() for value in text.split("|") if value.strip()) if text else ()


@dataclass(frozen=True)
class Property:
    event: str
    name: str
    type: str  # string | integer | number | boolean | timestamp
    required: bool
    allowed: tuple[str, ...]


@dataclass(frozen=True)
class EventSpec:
    name: str
    status: str  # active | deprecated
    owner: str
    properties: tuple[Property, ...]

    def prop(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)


@dataclass(frozen=True)
class TrackingPlan:
    events: dict[str, EventSpec]  # in the seed's order

    @property
    def event_names(self) -> list[str]:
        return list(self.events)


def read_tracking_plan(seeds_dir: Path | None = None) -> TrackingPlan:
    """The plan in `seeds_dir` (default: the project's seeds/): tracking_plan_events.csv and
    tracking_plan_properties.csv."""
    seeds_dir = Path(seeds_dir or project_seeds_dir())
    return tracking_plan(
        read_seed(seeds_dir / "tracking_plan_events.csv"),
        read_seed(seeds_dir / "tracking_plan_properties.csv"),
    )


def tracking_plan(event_rows: list[SeedRow], property_rows: list[SeedRow]) -> TrackingPlan:
    properties: dict[str, list[Property]] = {}
    for _, row in property_rows:
        properties.setdefault(row["event_name"], []).append(
            Property(
                event=row["event_name"],
                name=row["property"],
                type=row["type"],
                required=row["required"].lower() == "true",
                allowed=split_values(row["allowed_values"]),
            )
        )
    events = {
        row["event_name"]: EventSpec(
            row["event_name"], row["status"], row["owner"], tuple(properties.get(row["event_name"], ()))
        )
        for _, row in event_rows
    }
    return TrackingPlan(events)
