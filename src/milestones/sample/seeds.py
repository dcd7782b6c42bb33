"""The four seeds a user edits (docs/rules.md §4) as the structures the generator is driven by.

The seeds' rules are checked by dbt, with the tests `milestones build` runs, before anything is read
here (milestones.build.seed_check); this module only turns rows into structures.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from milestones.build.seed_check import check_seeds
from milestones.errors import UserError
from milestones.user_seeds import SEED_HEADERS, EventSpec, SeedRow, read_seed, split_values, tracking_plan

ANY_EVENT = "*"


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


def load_seeds(seeds_dir: Path) -> Seeds:
    """The seeds in `seeds_dir`, once dbt has found that they keep their rules."""
    seeds_dir = Path(seeds_dir)
    rows = {name: read_seed(seeds_dir / name) for name in SEED_HEADERS}
    check_seeds(seeds_dir)
    plan = tracking_plan(rows["tracking_plan_events.csv"], rows["tracking_plan_properties.csv"])
    segments = _segments(rows["milestones.csv"], _criteria(rows["milestone_criteria.csv"]))
    if not segments:
        raise UserError(f"seed {seeds_dir / 'milestones.csv'} has no milestones")
    sha = {name: hashlib.sha256((seeds_dir / name).read_bytes()).hexdigest() for name in SEED_HEADERS}
    return Seeds(events=plan.events, segments=segments, sha256=sha)


def _criteria(rows: list[SeedRow]) -> dict[tuple[str, str], list[Criterion]]:
    """Per (segment, milestone id), its criteria in seed order."""
    criteria: dict[tuple[str, str], list[Criterion]] = {}
    for line, r in rows:
        where = f"seed milestone_criteria.csv line {line}"
        crit = Criterion(
            r["segment"],
            r["milestone_id"],
            r["criterion_id"],
            r["event_name"],
            r["filter_property"],
            split_values(r["filter_values"]),
            r["measure"],
            r["distinct_property"],
            r["group_by_property"],
            int(_number(r["threshold"], where, "threshold")),
        )
        criteria.setdefault((crit.segment, crit.milestone_id), []).append(crit)
    return criteria


def _segments(
    rows: list[SeedRow], criteria: dict[tuple[str, str], list[Criterion]]
) -> dict[str, tuple[Milestone, ...]]:
    """Per segment, its milestones ordered by sequence."""
    by_segment: dict[str, list[Milestone]] = {}
    for line, r in rows:
        where = f"seed milestones.csv line {line}"
        milestone = Milestone(
            r["segment"],
            r["milestone_id"],
            int(_number(r["sequence"], where, "sequence")),
            r["name"],
            split_values(r["depends_on"]),
            _number(r["target_days"], where, "target_days"),
            _number(r["weight"], where, "weight"),
            tuple(criteria.get((r["segment"], r["milestone_id"]), ())),
        )
        by_segment.setdefault(milestone.segment, []).append(milestone)
    return {segment: tuple(sorted(items, key=lambda m: m.sequence)) for segment, items in by_segment.items()}


def _number(text: str, where: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UserError(f"{where}: {what} {text!r} is not a number") from None


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
