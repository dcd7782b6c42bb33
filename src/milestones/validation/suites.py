"""The expectation suites, generated: the event suites from the tracking plan, the mart suites from the
invariants SPEC section 6 states. Suites are plain data here (`Suite`, `Check`) so that they can be
compared and listed without Great Expectations; `runner.py` turns them into GX objects.

Two strictness levels for events:

- `staged_events*` look at every landed event row (main_staging.stg_landing__events). Bad rows are
  expected there (the contract quarantines them), so each expectation holds for `mostly` of the rows:
  1 - the dbt var `contract_violation_error_rate`, the same threshold the dbt violation-rate test uses.
- `valid_events` looks at the valid events (main_marts.fct_events): every row must be a planned
  event with its required fields, one row per event id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from milestones import paths
from milestones.validation.tracking_plan import (
    ACCEPTED_KINDS,
    PlannedProperty,
    TrackingPlan,
    read_tracking_plan,
)

DatasetKind = Literal["events", "event_properties", "relation"]

# Suffix of the column holding a property's JSON kind, beside the column holding its value as text.
TYPE_SUFFIX = ":type"

CONTRACT_REASONS = (
    "malformed_record",
    "missing_required_field",
    "duplicate_event_id",
    "invalid_timestamp",
    "malformed_properties",
    "unknown_event",
    "missing_required_property",
    "invalid_property_type",
    "invalid_property_value",
    "unknown_account",
)
PROPERTY_REASONS = ("missing_required_property", "invalid_property_type", "invalid_property_value")


@dataclass(frozen=True)
class Condition:
    """A row condition: the expectation only looks at rows where `column <op> value`."""

    column: str
    op: Literal["==", "!=", "in"]
    value: Any


@dataclass(frozen=True)
class Check:
    """One expectation: a GX expectation class name and its arguments, plus what it is about."""

    expectation: str
    kwargs: dict[str, Any]
    rule: str
    event_name: str | None = None
    property: str | None = None
    condition: Condition | None = None

    def describe(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in sorted(self.kwargs.items()))
        where = (
            f" where {self.condition.column} {self.condition.op} {self.condition.value!r}"
            if self.condition
            else ""
        )
        return f"{self.expectation}({arguments}){where}"


@dataclass(frozen=True)
class Dataset:
    """What a suite validates and how to read it in batches.

    kind `events`: the event table itself (layer staging: every landed row; marts: fct_events).
    kind `event_properties`: one event's rows with each planned property expanded into two columns,
    `<property>` (the value as text) and `<property>:type` (its JSON kind; null when absent or null).
    kind `relation`: the named columns of a table.
    Batches: rows are split by a hash of `partition_key`, so rows sharing the key stay together.
    """

    kind: DatasetKind
    layer: Literal["staging", "marts"]
    relation: str
    partition_key: str
    event_name: str | None = None
    properties: tuple[PlannedProperty, ...] = ()
    columns: tuple[str, ...] = ()


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
    """Every suite, in the order they run: events (staged, then valid), then the marts."""
    plan = plan or read_tracking_plan(seeds_dir)
    mostly = staged_mostly if staged_mostly is not None else round(1 - contract_error_rate(), 6)
    return [
        *event_suites(plan, layer="staging", mostly=mostly),
        *event_suites(plan, layer="marts", mostly=1.0),
        *mart_suites(plan),
    ]


def event_suites(plan: TrackingPlan, *, layer: Literal["staging", "marts"], mostly: float) -> list[Suite]:
    prefix = "staged_events" if layer == "staging" else "valid_events"
    relation = "stg_landing__events" if layer == "staging" else "fct_events"
    partition_key = "raw_row_id" if layer == "staging" else "event_id"
    tolerance = {"mostly": mostly} if mostly < 1 else {}
    table_checks = [
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
    ]
    if layer == "marts":
        table_checks.append(
            Check("ExpectColumnValuesToBeUnique", {"column": "event_id"}, rule="one row per event")
        )
    suites = [
        Suite(
            name=prefix,
            dataset=Dataset(kind="events", layer=layer, relation=relation, partition_key=partition_key),
            checks=tuple(table_checks),
        )
    ]
    if layer == "marts":
        # the valid events' properties obey the plan by construction (the contract model checks the
        # same rules); checking them again per event would double the validation time for nothing
        return suites
    for event in plan.events:
        planned = plan.properties_of(event.name)
        if not planned:
            continue
        suites.append(
            Suite(
                name=f"{prefix}.{event.name}",
                dataset=Dataset(
                    kind="event_properties",
                    layer=layer,
                    relation=relation,
                    partition_key=partition_key,
                    event_name=event.name,
                    properties=tuple(planned),
                ),
                checks=tuple(check for prop in planned for check in property_checks(prop, tolerance)),
            )
        )
    return suites


def property_checks(prop: PlannedProperty, tolerance: dict[str, float]) -> list[Check]:
    """Required properties present, values of the planned type, values among the allowed ones."""
    about = {"event_name": prop.event_name, "property": prop.name}
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
    if prop.allowed_values:
        checks.append(
            Check(
                "ExpectColumnValuesToBeInSet",
                {"column": prop.name, "value_set": list(prop.allowed_values), **tolerance},
                rule="property value allowed",
                **about,
            )
        )
    return checks


def mart_suites(plan: TrackingPlan) -> list[Suite]:
    """The marts' invariants (SPEC sections 5 and 6)."""
    milestones = Suite(
        name="fct_account_milestones",
        dataset=Dataset(
            kind="relation",
            layer="marts",
            relation="fct_account_milestones",
            partition_key="account_id",
            columns=(
                "account_id",
                "milestone_id",
                "status",
                "completed_at",
                "completion_source",
                "is_stalled",
                "days_overdue",
            ),
        ),
        checks=(
            Check(
                "ExpectColumnValuesToBeInSet",
                {"column": "status", "value_set": ["completed", "active", "pending"]},
                rule="status is completed, active or pending",
            ),
            Check("ExpectColumnValuesToNotBeNull", {"column": "status"}, rule="status is set"),
            Check(
                "ExpectCompoundColumnsToBeUnique",
                {"column_list": ["account_id", "milestone_id"]},
                rule="one row per account and milestone",
            ),
            Check(
                "ExpectColumnValuesToBeUnique",
                {"column": "account_id"},
                rule="at most one active milestone per account",
                condition=Condition("status", "==", "active"),
            ),
            Check(
                "ExpectColumnValuesToNotBeNull",
                {"column": "completed_at"},
                rule="a completed milestone has completed_at",
                condition=Condition("status", "==", "completed"),
            ),
            Check(
                "ExpectColumnValuesToBeNull",
                {"column": "completed_at"},
                rule="an incomplete milestone has no completed_at",
                condition=Condition("status", "!=", "completed"),
            ),
            Check(
                "ExpectColumnValuesToBeInSet",
                {"column": "completion_source", "value_set": ["product", "csm"]},
                rule="completion_source is product or csm",
                condition=Condition("status", "==", "completed"),
            ),
            Check(
                "ExpectColumnValuesToBeBetween",
                {"column": "days_overdue", "min_value": 1},
                rule="a stalled milestone is overdue",
                condition=Condition("is_stalled", "==", True),
            ),
            Check(
                "ExpectColumnValuesToBeInSet",
                {"column": "days_overdue", "value_set": [0]},
                rule="a milestone that is not stalled is not overdue",
                condition=Condition("is_stalled", "==", False),
            ),
            Check(
                "ExpectColumnValuesToBeInSet",
                {"column": "status", "value_set": ["active"]},
                rule="only the active milestone can be stalled",
                condition=Condition("is_stalled", "==", True),
            ),
        ),
    )
    queue = Suite(
        name="mart_intervention_queue",
        dataset=Dataset(
            kind="relation",
            layer="marts",
            relation="mart_intervention_queue",
            partition_key="account_id",
            columns=(
                "account_id",
                "milestone_id",
                "days_waiting",
                "stall_threshold_days",
                "days_overdue",
                "playbook",
            ),
        ),
        checks=(
            Check(
                "ExpectColumnValuesToBeUnique", {"column": "account_id"}, rule="one row per stalled account"
            ),
            Check(
                "ExpectColumnValuesToBeBetween",
                {"column": "days_overdue", "min_value": 1},
                rule="days_overdue > 0",
            ),
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": "days_waiting", "column_B": "stall_threshold_days"},
                rule="waited longer than the stall threshold",
            ),
            Check("ExpectColumnValuesToNotBeNull", {"column": "playbook"}, rule="every stall has a playbook"),
        ),
    )
    customer_record = Suite(
        name="dim_account_milestone_status",
        dataset=Dataset(
            kind="relation",
            layer="marts",
            relation="dim_account_milestone_status",
            partition_key="account_id",
            columns=("account_id", "milestones_completed", "milestones_total", "is_stalled", "days_overdue"),
        ),
        checks=(
            Check("ExpectColumnValuesToBeUnique", {"column": "account_id"}, rule="one row per account"),
            Check("ExpectColumnValuesToNotBeNull", {"column": "account_id"}, rule="account_id is set"),
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": "milestones_total", "column_B": "milestones_completed", "or_equal": True},
                rule="no more milestones completed than the segment has",
            ),
            Check(
                "ExpectColumnValuesToBeBetween",
                {"column": "days_overdue", "min_value": 0},
                rule="days_overdue >= 0",
            ),
        ),
    )
    quarantine = Suite(
        name="fct_event_contract_violations",
        dataset=Dataset(
            kind="relation",
            layer="marts",
            relation="fct_event_contract_violations",
            partition_key="raw_row_id",
            columns=("raw_row_id", "event_name", "reason", "violation_property"),
        ),
        checks=(
            Check(
                "ExpectColumnValuesToBeInSet",
                {"column": "reason", "value_set": list(CONTRACT_REASONS)},
                rule="reason is one of the contract rules",
            ),
            Check(
                "ExpectColumnValuesToNotBeNull",
                {"column": "violation_property"},
                rule="a property violation names its property",
                condition=Condition("reason", "in", list(PROPERTY_REASONS)),
            ),
            Check(
                "ExpectColumnValuesToBeInSet",
                {"column": "event_name", "value_set": sorted(plan.event_names)},
                rule="property rules apply to planned events only",
                condition=Condition("reason", "in", list(PROPERTY_REASONS)),
            ),
        ),
    )
    return [milestones, queue, customer_record, quarantine]


def describe_suites(suites: list[Suite]) -> dict[str, list[str]]:
    """Suite name -> its expectations as text: what tests compare and `--list` style output shows."""
    return {suite.name: [check.describe() for check in suite.checks] for suite in suites}
