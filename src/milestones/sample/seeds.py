"""Reads the four seeds a user edits (spec section 4) into the structures the generator is driven by.

The generator validates just enough to generate sensible data and names the offending row otherwise;
the dbt build runs the full seed validations.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

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
PROPERTY_TYPES = ("string", "integer", "number", "boolean", "timestamp")
MEASURES = ("count", "distinct")
ANY_EVENT = "*"


@dataclass(frozen=True)
class Property:
    event: str
    name: str
    type: str
    required: bool
    allowed: tuple[str, ...]


@dataclass(frozen=True)
class EventSpec:
    name: str
    status: str
    owner: str
    properties: tuple[Property, ...]

    def prop(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)


@dataclass(frozen=True)
class Criterion:
    segment: str
    milestone_id: str
    criterion_id: str
    event_name: str
    filter_property: str
    filter_values: tuple[str, ...]
    measure: str
    distinct_property: str
    group_by_property: str
    threshold: int

    @property
    def key(self) -> str:
        return f"{self.segment}/{self.milestone_id}/{self.criterion_id}"

    @property
    def is_user_anchor(self) -> bool:
        """`*`, distinct user_id: met when the n-th user of the account shows up."""
        return (
            self.event_name == ANY_EVENT
            and self.measure == "distinct"
            and self.distinct_property == "user_id"
        )


@dataclass(frozen=True)
class Milestone:
    segment: str
    milestone_id: str
    sequence: int
    name: str
    depends_on: tuple[str, ...]
    target_days: float
    weight: float
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Seeds:
    events: dict[str, EventSpec]
    segments: dict[str, tuple[Milestone, ...]]  # milestones ordered by sequence
    sha256: dict[str, str]

    def criteria(self, segment: str) -> list[Criterion]:
        return [c for m in self.segments[segment] for c in m.criteria]


def _rows(path: Path, header: list[str]) -> list[tuple[int, dict[str, str]]]:
    if not path.exists():
        raise UserError(f"seed {path} is missing")
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        got = next(reader, [])
        if got != header:
            raise UserError(f"seed {path.name}: header {got} is not {header}")
        rows = []
        for line_no, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise UserError(
                    f"seed {path.name} line {line_no}: {len(values)} fields, expected {len(header)}"
                )
            rows.append((line_no, {k: v.strip() for k, v in zip(header, values, strict=True)}))
    return rows


def _split(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split("|") if v.strip()) if text else ()


def _number(text: str, where: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UserError(f"{where}: {what} {text!r} is not a number") from None


def load_seeds(seeds_dir: Path) -> Seeds:
    seeds_dir = Path(seeds_dir)
    sha = {name: hashlib.sha256((seeds_dir / name).read_bytes()).hexdigest() for name in SEED_HEADERS}

    plan_rows = _rows(seeds_dir / "tracking_plan_events.csv", SEED_HEADERS["tracking_plan_events.csv"])
    prop_rows = _rows(
        seeds_dir / "tracking_plan_properties.csv", SEED_HEADERS["tracking_plan_properties.csv"]
    )
    props: dict[str, list[Property]] = {}
    for line, r in prop_rows:
        where = f"seed tracking_plan_properties.csv line {line}"
        if r["type"] not in PROPERTY_TYPES:
            raise UserError(f"{where}: type {r['type']!r} is not one of {'|'.join(PROPERTY_TYPES)}")
        if r["required"] not in ("true", "false"):
            raise UserError(f"{where}: required {r['required']!r} is not true|false")
        props.setdefault(r["event_name"], []).append(
            Property(
                r["event_name"],
                r["property"],
                r["type"],
                r["required"] == "true",
                _split(r["allowed_values"]),
            )
        )
    events: dict[str, EventSpec] = {}
    for line, r in plan_rows:
        if r["status"] not in ("active", "deprecated"):
            raise UserError(f"seed tracking_plan_events.csv line {line}: status {r['status']!r}")
        events[r["event_name"]] = EventSpec(
            r["event_name"], r["status"], r["owner"], tuple(props.get(r["event_name"], ()))
        )
    for name in props:
        if name not in events:
            raise UserError(
                f"seed tracking_plan_properties.csv: event {name!r} is not in tracking_plan_events.csv"
            )

    crit_rows = _rows(seeds_dir / "milestone_criteria.csv", SEED_HEADERS["milestone_criteria.csv"])
    criteria: dict[tuple[str, str], list[Criterion]] = {}
    for line, r in crit_rows:
        where = f"seed milestone_criteria.csv line {line}"
        event = r["event_name"]
        if event != ANY_EVENT and event not in events:
            raise UserError(f"{where}: event {event!r} is not in the tracking plan")
        if r["measure"] not in MEASURES:
            raise UserError(f"{where}: measure {r['measure']!r} is not count|distinct")
        if r["measure"] == "distinct" and not r["distinct_property"]:
            raise UserError(f"{where}: measure distinct needs a distinct_property")
        if bool(r["filter_property"]) != bool(r["filter_values"]):
            raise UserError(f"{where}: filter_property and filter_values go together")
        for column in ("filter_property", "distinct_property", "group_by_property"):
            name = r[column]
            if name and name != "user_id" and event != ANY_EVENT and events[event].prop(name) is None:
                raise UserError(f"{where}: {column} {name!r} is not a property of {event!r}")
        threshold = _number(r["threshold"], where, "threshold")
        if threshold < 1 or threshold != int(threshold):
            raise UserError(f"{where}: threshold {r['threshold']!r} is not a positive whole number")
        crit = Criterion(
            r["segment"],
            r["milestone_id"],
            r["criterion_id"],
            event,
            r["filter_property"],
            _split(r["filter_values"]),
            r["measure"],
            r["distinct_property"],
            r["group_by_property"],
            int(threshold),
        )
        criteria.setdefault((crit.segment, crit.milestone_id), []).append(crit)

    ms_rows = _rows(seeds_dir / "milestones.csv", SEED_HEADERS["milestones.csv"])
    by_segment: dict[str, list[tuple[Milestone, int]]] = {}
    for line, r in ms_rows:
        where = f"seed milestones.csv line {line}"
        key = (r["segment"], r["milestone_id"])
        if key not in criteria:
            raise UserError(f"{where}: milestone {r['milestone_id']!r} has no criteria")
        ms = Milestone(
            r["segment"],
            r["milestone_id"],
            int(_number(r["sequence"], where, "sequence")),
            r["name"],
            _split(r["depends_on"]),
            _number(r["target_days"], where, "target_days"),
            _number(r["weight"], where, "weight"),
            tuple(criteria.pop(key)),
        )
        by_segment.setdefault(ms.segment, []).append((ms, line))
    if criteria:
        (segment, milestone_id), _ = next(iter(criteria.items()))
        raise UserError(
            f"seed milestone_criteria.csv: milestone {segment}/{milestone_id} is not in milestones.csv"
        )
    segments: dict[str, tuple[Milestone, ...]] = {}
    for segment, items in by_segment.items():
        items.sort(key=lambda x: x[0].sequence)
        seq = {m.milestone_id: m.sequence for m, _ in items}
        if sorted(seq.values()) != list(range(1, len(items) + 1)):
            raise UserError(f"seed milestones.csv: segment {segment!r} sequences are not 1..{len(items)}")
        for m, line in items:
            for dep in m.depends_on:
                if seq.get(dep, m.sequence) >= m.sequence:
                    raise UserError(
                        f"seed milestones.csv line {line}: depends_on {dep!r} is not a lower-sequence "
                        f"milestone of segment {segment!r}"
                    )
        segments[segment] = tuple(m for m, _ in items)
    if not segments:
        raise UserError(f"seed {seeds_dir / 'milestones.csv'} has no milestones")
    return Seeds(events=events, segments=segments, sha256=sha)


def milestones_counting(milestones: tuple[Milestone, ...]) -> dict[str, set[str]]:
    """Per event name (`*` included), the milestones whose criteria count it."""
    out: dict[str, set[str]] = {}
    for ms in milestones:
        for c in ms.criteria:
            out.setdefault(c.event_name, set()).add(ms.milestone_id)
    return out


def joint_groups(milestone: Milestone, events: dict[str, EventSpec]) -> list[list[Criterion]]:
    """The milestone's criteria, grouped so that criteria on the same event whose events can serve all
    of them at once (every event counting for each) are emitted together: filters on a shared property
    must have common values, and no property is both counted distinct and grouped by (or filtered)."""
    groups: list[list[Criterion]] = []
    for c in milestone.criteria:
        if c.event_name == ANY_EVENT:
            groups.append([c])
            continue
        for g in groups:
            if g[0].event_name == c.event_name and _compatible([*g, c]):
                g.append(c)
                break
        else:
            groups.append([c])
    return groups


def _compatible(group: list[Criterion]) -> bool:
    filters: dict[str, set[str]] = {}
    for c in group:
        if c.filter_property:
            values = set(c.filter_values)
            filters[c.filter_property] = filters.get(c.filter_property, values) & values
    if any(not v for v in filters.values()):
        return False
    distinct = {c.distinct_property for c in group if c.measure == "distinct"}
    grouped = {c.group_by_property for c in group if c.group_by_property}
    return not (distinct & grouped) and not (distinct & set(filters))
