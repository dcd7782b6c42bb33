"""The expectation suites, generated from the tracking plan (docs/rules.md §4 and §5). Suites are plain
data here (`Suite`, `Check`) so that they can be compared and listed without Great Expectations;
`runner.py` turns them into GX objects. The marts' invariants are dbt tests, in the marts' YAML: the
valid events (`fct_events`) are a mart, whose planned event names, required fields and unique ids dbt
tests on every build.

The suites look at every landed event row as staging parses it, read from the table that keeps each
with its contract verdict (main_intermediate.int_events__contract_checked): `staged_events` for the
fields every event has, `staged_events.<event>` for each event's planned properties. Bad rows are
expected there (the contract quarantines them), so each expectation holds for `mostly` of the rows:
1 - the dbt var `contract_violation_error_rate`, the same threshold the dbt violation-rate test uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from milestones import paths
from milestones.user_seeds import Property, TrackingPlan, read_tracking_plan

DatasetKind = Literal["events", "event_properties"]

# every landed row with its contract verdict, and the stamp of the build that checked it last: read
# there, not through the staging view, which parses the raw rows again (and Spark's views are not Parquet)
CHECKED_EVENTS = "int_events__contract_checked"
CHECKED_LAYER = "intermediate"
PREFIX = "staged_events"

# Suffix of the column holding a property's JSON kind, beside the column holding its value as text.
TYPE_SUFFIX = ":type"

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
class Check:
    """One expectation: a GX expectation class name and its arguments, plus what it is about."""

    expectation: str
    kwargs: dict[str, Any]
    rule: str
    event_name: str | None = None
    property: str | None = None

    def describe(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in sorted(self.kwargs.items()))
        return f"{self.expectation}({arguments})"


@dataclass(frozen=True)
class Dataset:
    """What a suite validates and how to read it in batches.

    kind `events`: the event table itself (every landed row, with the fields every event has).
    kind `event_properties`: one event's rows with each planned property expanded into two columns,
    `<property>` (the value as text) and `<property>:type` (its JSON kind; null when absent or null).
    Batches: the rows of one query, handed over a fixed number at a time (every check is row-level).
    """

    kind: DatasetKind
    relation: str
    event_name: str | None = None
    properties: tuple[Property, ...] = ()
    layer: str = CHECKED_LAYER  # the relation lives in <schema>_<layer>


@dataclass(frozen=True)
class Suite:
    name: str
    dataset: Dataset
    checks: tuple[Check, ...] = field(default_factory=tuple)


def contract_rate_min_rows(project_dir: Path | None = None) -> int:
    """The dbt var `contract_rate_min_rows`: fewer rows than this are too few to judge a rate (100)."""
    project_file = (project_dir or paths.PROJECT_DIR) / "dbt_project.yml"
    try:
        return int(yaml.safe_load(project_file.read_text())["vars"]["contract_rate_min_rows"])
    except (OSError, KeyError, TypeError, ValueError):
        return 100


def contract_error_rate(project_dir: Path | None = None) -> float:
    """The dbt var `contract_violation_error_rate` of dbt_project.yml (0.25 when absent)."""
    project_file = (project_dir or paths.PROJECT_DIR) / "dbt_project.yml"
    try:
        configured = yaml.safe_load(project_file.read_text())["vars"]["contract_violation_error_rate"]
        return float(configured)
    except (OSError, KeyError, TypeError, ValueError):
        return 0.25


def generate_suites(
    plan: TrackingPlan | None = None, *, staged_mostly: float | None = None, seeds_dir: Path | None = None
) -> list[Suite]:
    """Every suite, in the order they run: the fields of every event, then each event's properties."""
    plan = plan or read_tracking_plan(seeds_dir)
    mostly = staged_mostly if staged_mostly is not None else round(1 - contract_error_rate(), 6)
    tolerance = {"mostly": mostly} if mostly < 1 else {}
    return [
        Suite(
            name=PREFIX,
            dataset=Dataset(kind="events", relation=CHECKED_EVENTS),
            checks=event_checks(plan, tolerance),
        ),
        *(
            Suite(
                name=f"{PREFIX}.{event.name}",
                dataset=Dataset(
                    kind="event_properties",
                    relation=CHECKED_EVENTS,
                    event_name=event.name,
                    properties=event.properties,
                ),
                checks=tuple(
                    check for prop in event.properties for check in property_checks(prop, tolerance)
                ),
            )
            for event in plan.events.values()
            if event.properties
        ),
    ]


def event_checks(plan: TrackingPlan, tolerance: dict[str, float]) -> tuple[Check, ...]:
    """Every event: a planned event name, the required fields, properties as a JSON object."""
    return (
        Check(
            "ExpectColumnValuesToBeInSet",
            {"column": "event_name", "value_set": sorted(plan.event_names), **tolerance},
            rule="event in the tracking plan",
        ),
        *(
            Check(
                "ExpectColumnValuesToNotBeNull",
                {"column": column, **tolerance},
                rule="required field present",
            )
            for column in ("event_id", "account_id", "event_name", "occurred_at")
        ),
        Check(
            "ExpectColumnValuesToBeInSet",
            {"column": "properties:type", "value_set": ["object"], **tolerance},
            rule="properties is a JSON object",
        ),
    )


def property_checks(prop: Property, tolerance: dict[str, float]) -> list[Check]:
    """Required properties present, values of the planned type, values among the allowed ones."""
    about = {"event_name": prop.event, "property": prop.name}
    checks = []
    if prop.required:
        checks.append(
            Check(
                "ExpectColumnValuesToNotBeNull",
                {"column": prop.name, **tolerance},
                rule="required property",
                **about,
            )
        )
    checks.append(
        Check(
            "ExpectColumnValuesToBeInSet",
            {"column": prop.name + TYPE_SUFFIX, "value_set": list(ACCEPTED_KINDS[prop.type]), **tolerance},
            rule=f"property of type {prop.type}",
            **about,
        )
    )
    if prop.allowed:
        checks.append(
            Check(
                "ExpectColumnValuesToBeInSet",
                {"column": prop.name, "value_set": list(prop.allowed), **tolerance},
                rule="property value allowed",
                **about,
            )
        )
    return checks


def describe_suites(suites: list[Suite]) -> dict[str, list[str]]:
    """Suite name -> its expectations as text: what tests compare and `--list` style output shows."""
    return {suite.name: [check.describe() for check in suite.checks] for suite in suites}
