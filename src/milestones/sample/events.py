"""Event batches: lifecycle events, the events that meet (or nearly meet) each milestone criterion,
background product activity and high-volume engagement.

A batch is one event name with numpy columns (account, user, time) and property tokens. Milestone
events are made for all accounts up front (they are a small share of the volume); engagement and
background activity are made per chunk of accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from milestones.sample.seeds import (
    ANY_EVENT,
    Criterion,
    EventSpec,
    Seeds,
    joint_groups,
    milestones_counting,
)
from milestones.sample.timefmt import DAY, join
from milestones.sample.values import (
    DEFAULT_PRESENT,
    ID_PREFIX,
    PRESENT,
    ValueFactory,
    text_of_token,
    tokens_of,
    typed_token,
)
from milestones.sample.world import FULL, NEAR, NEVER, WEEKEND_DROP, SegmentPlan, World, shape_times

ENGAGEMENT_EVENTS = ("page_viewed", "user_logged_in")
LIFECYCLE_EVENTS = ("account_created", "invite_accepted", "billing_plan_changed")
ENGAGEMENT_FALLBACK = 2  # engagement events taken from a tracking plan that has none of the above

# background product activity: events per active user and day, for a user of average activity
RATES = {
    "task_created": 0.35,
    "task_assigned": 0.15,
    "task_status_changed": 0.3,
    "task_completed": 0.25,
    "comment_added": 0.25,
    "file_attached": 0.05,
    "project_created": 0.015,
    "workspace_created": 0.002,
    "user_invited": 0.004,
    "integration_connected": 0.002,
    "integration_disconnected": 0.0008,
    "sso_configured": 0.0001,
    "custom_role_created": 0.0005,
    "audit_log_exported": 0.0003,
    "api_key_created": 0.0005,
    "api_request_made": 0.4,
    "data_import_completed": 0.0005,
    "automation_created": 0.004,
    "automation_run": 0.2,
    "dashboard_created": 0.004,
    "dashboard_shared": 0.003,
    "report_exported": 0.02,
    "portfolio_created": 0.0008,
    "task_moved": 0.08,
    "sidebar_clicked": 0.15,
}
DEFAULT_RATE = 0.01
SEGMENT_RATE = {
    ("trial", "api_request_made"): 0.02,
    ("paid", "api_request_made"): 0.3,
    ("trial", "sso_configured"): 0.0,
    ("paid", "sso_configured"): 0.2,
    ("trial", "audit_log_exported"): 0.0,
    ("paid", "audit_log_exported"): 0.2,
    ("trial", "custom_role_created"): 0.0,
    ("trial", "portfolio_created"): 0.1,
}
DEPRECATED_UNTIL_DAYS = 100  # deprecated events stop this many days before the end of the window
MEAN_P_ACTIVE = 2.0 / 4.5


@dataclass
class Batch:
    event: str
    acc: np.ndarray
    user: np.ndarray
    ts: np.ndarray
    given: dict[str, pa.Array] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ts)

    def select(self, mask: np.ndarray) -> Batch:
        idx = pa.array(np.flatnonzero(mask))
        return Batch(
            self.event,
            self.acc[mask],
            self.user[mask],
            self.ts[mask],
            {k: v.take(idx) for k, v in self.given.items()},
        )


# ---------------------------------------------------------------------------- engagement events
def engagement_events(seeds: Seeds) -> tuple[str, ...]:
    """The high-volume events of everyday use: page views and logins where the tracking plan has them.
    A plan without them (another product's) lends its first active events that no criterion and no
    lifecycle step names, so that any plan gets everyday activity and a first event for each user."""
    named = tuple(e for e in ENGAGEMENT_EVENTS if e in seeds.events)
    if named:
        return named
    counted = {c.event_name for s in seeds.segments for c in seeds.criteria(s)}
    free = [
        name
        for name, spec in seeds.events.items()
        if spec.status == "active" and name not in counted and name not in LIFECYCLE_EVENTS
    ]
    return tuple(free[:ENGAGEMENT_FALLBACK])


# ---------------------------------------------------------------------------- lifecycle
def lifecycle_batches(world: World, factory: ValueFactory, rng: np.random.Generator) -> list[Batch]:
    seeds = world.seeds
    out: list[Batch] = []
    first_user = np.cumsum(world.seats) - world.seats
    # each user's first event is at the instant they become active: `*` distinct user_id criteria are
    # met when the drawn user shows up; without the plan's own signup and join events, an engagement
    # event stands in for them
    engagement = engagement_events(seeds)
    created = "account_created" if "account_created" in seeds.events else next(iter(engagement), None)
    joined = "invite_accepted" if "invite_accepted" in seeds.events else next(iter(engagement), None)
    if created is not None:
        acc = np.arange(world.n)
        out.append(Batch(created, acc, first_user, world.signup.copy()))
    if joined is not None:
        users = np.flatnonzero((world.user_i > 0) & (world.activated < NEVER))
        acc = world.user_acc[users]
        ts = world.activated[users]
        given = {}
        spec = seeds.events[joined]
        if spec.prop("invited_by_user_id") is not None:
            inviter = world.random_active_user(rng, acc, ts - 1)
            given["invited_by_user_id"] = factory.user_token(inviter)
        out.append(Batch(joined, acc, users, ts, given))
    spec = seeds.events.get("billing_plan_changed")
    if spec is not None and spec.prop("from_plan") and spec.prop("to_plan"):
        r = world.renewals
        seg = np.array(world.segment_names, dtype=object)[world.segment[r.acc]]
        plans = world.plan_name[r.acc]
        convert = (seg == "trial") & ~r.churned & (r.arr_before == 0) & (r.arr_after > 0)
        upgrade = (seg == "paid") & ~r.churned & (r.arr_after > r.arr_before * 1.3) & (plans == "team")
        allowed = set(spec.prop("to_plan").allowed)
        rows = np.flatnonzero(convert | upgrade)
        if rows.size and {"trial", "team", "business"} <= allowed:
            to_plan = np.where(rng.random(rows.size) < 0.7, "team", "business")
            from_plan = np.where(convert[rows], "trial", "team")
            to_plan = np.where(upgrade[rows], "business", to_plan)
            acc = r.acc[rows]
            day0 = r.day[rows] * DAY
            ts = shape_times(rng, day0 + rng.integers(0, DAY, rows.size), day0, day0 + DAY, world.tz[acc])
            ts = np.minimum(ts, world.end_active[acc] - 1)
            given = {
                "from_plan": tokens_of(list(from_plan)),
                "to_plan": tokens_of(list(to_plan)),
            }
            out.append(Batch("billing_plan_changed", acc, first_user[acc], ts, given))
    return out


# ---------------------------------------------------------------------------- milestone criteria
def relevant_properties(seeds: Seeds, segment: str, event: str) -> list[str]:
    """Properties of the event that some criterion of the segment filters, counts or groups by."""
    names: list[str] = []
    for c in seeds.criteria(segment):
        if c.event_name not in (event, ANY_EVENT):
            continue
        for p in (c.filter_property, c.distinct_property, c.group_by_property):
            if p and p != "user_id" and p not in names and seeds.events[event].prop(p) is not None:
                names.append(p)
    return names


class History:
    """The milestone events already emitted for a segment, to credit count criteria with them."""

    def __init__(self, n_accounts: int):
        self.n = n_accounts
        self.rows: dict[str, list[Batch]] = {}

    def add(self, batch: Batch) -> None:
        self.rows.setdefault(batch.event, []).append(batch)

    def count(self, c: Criterion, spec: EventSpec, before: np.ndarray) -> np.ndarray:
        """Per account: earlier events matching the criterion (a count without group_by), before the
        account's instant `before` (indexed by account)."""
        out = np.zeros(self.n, np.int64)
        for b in self.rows.get(c.event_name, []):
            ok = b.ts < before[b.acc]
            if c.filter_property:
                tok = b.given.get(c.filter_property)
                if tok is None:
                    continue
                text = text_of_token(tok, spec.prop(c.filter_property).type)
                hit = pc.fill_null(pc.is_in(text, value_set=pa.array(list(c.filter_values))), False)
                ok &= np.asarray(hit.to_numpy(zero_copy_only=False), bool)
            out += np.bincount(b.acc[ok], minlength=self.n)
        return out


class GroupEmitter:
    """Emits, for each account, the events of a group of criteria on one event (usually one criterion):
    exactly enough for all of them to be met, the last event at the drawn instant (FULL), or activity
    that stays below the threshold (NEAR). Each event counts for every criterion of the group."""

    def __init__(self, world: World, factory: ValueFactory, plan: SegmentPlan, j: int, group, rng, history):
        self.world, self.factory, self.plan, self.j, self.rng = world, factory, plan, j, rng
        self.group: list[Criterion] = group
        self.history: History = history
        self.event = group[0].event_name
        self.spec = world.seeds.events[self.event]
        filters: dict[str, list[str]] = {}
        for c in group:
            if c.filter_property:
                keep = filters.get(c.filter_property, list(c.filter_values))
                filters[c.filter_property] = [v for v in keep if v in c.filter_values]
        self.filters = {p: [typed_token(v, self.spec.prop(p)) for v in vals] for p, vals in filters.items()}
        self.filter_values = filters
        self.miss_tokens: dict[str, list[str]] = {}
        if len(group) == 1 and group[0].filter_property:
            prop = self.spec.prop(group[0].filter_property)
            if prop is not None and prop.allowed:
                self.miss_tokens[prop.name] = [
                    typed_token(v, prop) for v in prop.allowed if v not in group[0].filter_values
                ]
        self.relevant = relevant_properties(world.seeds, plan.name, self.event)

    def _needed(self, rows: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Events each account still needs for each criterion: (criteria, accounts)."""
        accs = self.plan.accs[rows]
        out = []
        for c in self.group:
            credit = 0
            if c.measure == "count" and not c.group_by_property:
                before = np.full(self.world.n, NEVER, np.int64)
                before[accs] = start
                credit = self.history.count(c, self.spec, before)[accs]
            out.append(np.broadcast_to(np.maximum(c.threshold - credit, 0), rows.shape))
        return np.stack(out)

    def batches(self) -> list[Batch]:
        plan, rng, key = self.plan, self.rng, self.group[0].key
        mode = plan.crit_mode[key]
        accs = plan.accs
        start = plan.start[:, self.j]
        end = self.world.end_active[accs]
        met = plan.crit_time[key]
        out: list[Batch] = []
        # FULL: enough events for every criterion, the last one exactly at the met-at instant
        f = np.flatnonzero(mode == FULL)
        if f.size:
            need = self._needed(f, start[f]).max(axis=0)
            width = int(need.max(initial=0))
            if width:
                st, tm = start[f], met[f]
                early = st[:, None] + rng.random((f.size, width)) * (tm - st)[:, None]
                times = np.sort(early, axis=1).astype(np.int64)
                times[:, -1] = tm
                first = width - need
                col = np.arange(width)[None, :]
                out += self._rows(
                    accs[f],
                    times,
                    col >= first[:, None],
                    col - first[:, None],
                    end[f],
                    1 + rng.integers(0, 3, f.size),
                )
        # NEAR: fewer events than the smallest threshold of the group
        nr = np.flatnonzero((mode == NEAR) & (start < end))
        if nr.size:
            st, en = start[nr], end[nr]
            limit = np.maximum(self._needed(nr, st).min(axis=0) - 1, 0)
            n_events = np.where(
                rng.random(nr.size) < 0.6, limit, (rng.random(nr.size) * (limit + 1)).astype(np.int64)
            )
            width = int(limit.max(initial=0))
            g = 1 + rng.integers(0, 3, nr.size)
            if width:
                times = np.sort(
                    st[:, None] + rng.random((nr.size, width)) * (en - st)[:, None], axis=1
                ).astype(np.int64)
                col = np.broadcast_to(np.arange(width)[None, :], times.shape)
                out += self._rows(accs[nr], times, col < n_events[:, None], col, en, g)
                c = self.group[0]
                if len(self.group) == 1 and c.group_by_property:  # a second group, also below the threshold
                    times2 = np.sort(st[:, None] + rng.random((nr.size, width)) * (en - st)[:, None], axis=1)
                    keep2 = (rng.random(nr.size) < 0.5)[:, None] & (col < limit[:, None])
                    out += self._rows(accs[nr], times2.astype(np.int64), keep2, col, en, g + 1)
            for prop, tokens in self.miss_tokens.items():  # a near miss on the filter
                if not tokens:
                    continue
                times = (st + rng.random(nr.size) * (en - st)).astype(np.int64)[:, None]
                pick = (rng.random(nr.size) < 0.7)[:, None]
                zero = np.zeros((nr.size, 1), np.int64)
                out += self._rows(accs[nr], times, pick, zero, en, g, miss=(prop, tokens))
        for b in out:
            self.history.add(b)
        return out

    def pre_activity(self, rng: np.random.Generator) -> list[Batch]:
        """The everyday use of a milestone's event before the account works on the milestone (or, if it
        never does, during its whole life), at the event's background rate and always below the
        criterion's threshold, so the criterion is still met exactly at its drawn instant. Without it an
        event like task_completed would only ever appear on the way to its milestone, and its mere
        presence would mark how far an account had got."""
        world, plan = self.world, self.plan
        accs = plan.accs
        cap = min(c.threshold for c in self.group) - 1
        rate = RATES.get(self.event, DEFAULT_RATE) * SEGMENT_RATE.get((plan.name, self.event), 1.0)
        lo = world.signup[accs] + 60
        hi = np.minimum(plan.start[:, self.j], world.end_active[accs])
        days = np.maximum(hi - lo, 0) / DAY
        expected = rate * MEAN_P_ACTIVE * days * world.active_count(accs, lo)
        # events outside the criterion's filter (a task moved to "done") never count: they keep their rate
        prop, misses = next(iter(self.miss_tokens.items()), (None, []))  # at most one filter misses
        share_missed = len(misses) / (len(misses) + len(self.filter_values.get(prop, []))) if misses else 0.0
        out: list[Batch] = []
        for n_events, miss in (
            (np.minimum(rng.poisson(expected * (1 - share_missed)), max(cap, 0)), None),
            (rng.poisson(expected * share_missed), (prop, misses) if misses else None),
        ):
            width = int(n_events.max(initial=0))
            if not width:
                continue
            times = lo[:, None] + (rng.random((accs.size, width)) * (hi - lo)[:, None]).astype(np.int64)
            col = np.broadcast_to(np.arange(width)[None, :], times.shape)
            keep = col < n_events[:, None]
            out += self._rows(accs, times, keep, col, hi, np.ones(accs.size, np.int64), miss)
        return out

    def _rows(self, accs, times, keep, ordinal, end, group_no, miss=None) -> list[Batch]:
        rng, factory, world = self.rng, self.factory, self.world
        n_acc = times.shape[0]
        keep = keep & (times < end[:, None])
        row = np.nonzero(keep)[0]
        if row.size == 0:
            return []
        acc = accs[row]
        ts = times[keep]
        k = np.broadcast_to(ordinal, times.shape)[keep]
        given: dict[str, pa.Array] = {}
        user = None
        for prop, tokens in self.filters.items():
            given[prop] = pa.array(tokens).take(pa.array(rng.integers(0, len(tokens), ts.size)))
        if miss is not None:
            prop, tokens = miss
            given[prop] = pa.array(tokens).take(pa.array(rng.integers(0, len(tokens), ts.size)))
        for c in self.group:
            if c.measure == "distinct":
                if c.distinct_property == "user_id":
                    user = world.user_by_rank(acc, k % world.active_count(acc, ts))
                elif c.distinct_property not in given:
                    given[c.distinct_property] = self._distinct_values(
                        c.distinct_property, row, acc, k, ts, n_acc
                    )
            if c.group_by_property and c.group_by_property not in given:
                given[c.group_by_property] = self._group_value(c.group_by_property, acc, group_no[row], ts)
        if user is None:
            user = world.random_active_user(rng, acc, ts)
        for prop_name in self.relevant:  # decided now, so that later criteria can be credited with them
            if prop_name not in given:
                prop = self.spec.prop(prop_name)
                tok = factory.token(self.spec, prop, acc, user, ts, rng)
                if not prop.required:
                    absent = rng.random(ts.size) >= PRESENT.get(prop.name, DEFAULT_PRESENT)
                    tok = pc.if_else(pa.array(absent), pa.scalar(None, pa.string()), tok)
                given[prop_name] = tok
        return [Batch(self.event, acc, user, ts, given)]

    def _distinct_values(self, prop_name, row, acc, k, ts, n_acc) -> pa.Array:
        prop = self.spec.prop(prop_name)
        world, rng = self.world, self.rng
        if prop.name.endswith("user_id") and prop.type == "string":
            return self.factory.user_token(world.user_by_rank(acc, k % world.active_count(acc, ts)))
        if prop.allowed:
            values = list(prop.allowed)
            if prop_name in self.filter_values:
                values = [v for v in values if v in self.filter_values[prop_name]] or values
            perm = np.argsort(rng.random((n_acc, len(values))), axis=1)
            idx = perm[row, k % len(values)]
            return pa.array([typed_token(v, prop) for v in values]).take(pa.array(idx))
        if prop.type == "string" and (prop.name.endswith("_id") or prop.name in ID_PREFIX):
            return self.factory.pool_id(prop.name, acc, k + 1)
        if prop.type == "integer":
            return pa.array(k + 1).cast(pa.string())
        if prop.type == "number":
            return pa.array([f"{i + 1}.5" for i in k])
        if prop.type == "boolean":
            return pa.array(np.where(k % 2 == 0, "true", "false"))
        if prop.type == "timestamp":
            return join('"', self.factory.fmt.iso_z(ts - ts % DAY - k * DAY), '"')
        return tokens_of([f"{prop.name}_{i + 1}" for i in k])

    def _group_value(self, prop_name, acc, group_no, ts) -> pa.Array:
        prop = self.spec.prop(prop_name)
        if prop is None or prop.type != "string":
            return pa.array(group_no).cast(pa.string())
        if prop.allowed:
            values = [typed_token(v, prop) for v in prop.allowed]
            return pa.array(values).take(pa.array((group_no - 1) % len(values)))
        if prop.name.endswith("user_id"):
            rank = (group_no - 1) % self.world.active_count(acc, ts)
            return self.factory.user_token(self.world.user_by_rank(acc, rank))
        return self.factory.pool_id(prop.name, acc, group_no)


def everyday_events(world: World, segment: str) -> set[str]:
    """Events a criterion of the segment counts plainly (count, no distinct, no group-by) and that no
    other milestone of the segment and no lifecycle step uses: teams do them from their first day,
    below the threshold, long before the milestone is worked on (GroupEmitter.pre_activity). Not the events of
    a milestone gated by a one-off step (a criterion met by one event, like creating the automation
    that then runs): nothing of it happens before that step."""
    milestones = world.seeds.segments[segment]
    gated = {ms.milestone_id for ms in milestones if min(c.threshold for c in ms.criteria) <= 1}
    not_plain = {
        c.event_name for c in world.seeds.criteria(segment) if c.measure != "count" or c.group_by_property
    }
    return {
        name
        for name, owners in milestones_counting(milestones).items()
        if name != ANY_EVENT
        and name not in LIFECYCLE_EVENTS
        and len(owners) == 1
        and not owners & gated
        and name not in not_plain
    }


def criteria_batches(world: World, factory: ValueFactory, lifecycle: list[Batch]) -> list[Batch]:
    out: list[Batch] = []
    for si, (s, plan) in enumerate(world.plans.items()):
        history = History(world.n)
        for b in lifecycle:
            if b.event in {c.event_name for c in world.seeds.criteria(s)}:
                history.add(b)
        everyday = everyday_events(world, s)
        for j, ms in enumerate(plan.milestones):
            for gi, group in enumerate(joint_groups(ms, world.seeds.events)):
                if group[0].event_name == ANY_EVENT:
                    # `*` distinct user_id: made by user activation; other `*` measures: left to activity
                    continue
                rng = np.random.default_rng([world.seed, 6, si, j, gi])
                emitter = GroupEmitter(world, factory, plan, j, group, rng, history)
                if group[0].event_name in everyday:
                    for b in emitter.pre_activity(np.random.default_rng([world.seed, 10, si, j, gi])):
                        history.add(b)
                        out.append(b)
                out += emitter.batches()
    return out


# ---------------------------------------------------------------------------- free times
def free_times(world: World) -> dict[str, np.ndarray]:
    """Per event name, the instant from which an account's background activity of that event can no
    longer change any of its milestone criteria: every criterion on that event already met (NEVER if
    one is not). Events no criterion of the segment names are free from signup."""
    seeds: Seeds = world.seeds
    out: dict[str, np.ndarray] = {}
    for name in seeds.events:
        free = world.signup.copy()
        for plan in world.plans.values():
            end = world.end_active[plan.accs]
            for key, c in plan.criteria.items():
                if c.event_name != name:
                    continue
                t = plan.crit_time[key]
                done = (plan.crit_mode[key] == FULL) & (t < end)
                free[plan.accs] = np.maximum(free[plan.accs], np.where(done, t + 1, NEVER))
        out[name] = free
    return out


# ---------------------------------------------------------------------------- per chunk
def _spread(rng, users, lo, hi, expected, world: World) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts of events per user, at human hours between lo and hi, weekends thinned."""
    boost = 1.0 / (1.0 - 2.0 / 7.0 * WEEKEND_DROP)
    counts = rng.poisson(np.maximum(expected, 0) * boost)
    u = np.repeat(users, counts)
    lo_r = np.repeat(lo, counts)
    hi_r = np.repeat(hi, counts)
    t = lo_r + (rng.random(u.size) * (hi_r - lo_r)).astype(np.int64)
    tz = world.tz[world.user_acc[u]]
    t = shape_times(rng, t, lo_r, hi_r, tz)
    weekday = ((t + tz) // DAY + 3) % 7  # 0 = Monday
    keep = ~((weekday >= 5) & (rng.random(u.size) < WEEKEND_DROP))
    return u[keep], t[keep]


def engagement_batches(world: World, users: np.ndarray, rng) -> list[Batch]:
    users = users[world.activated[users] < NEVER]
    acc = world.user_acc[users]
    lo = world.activated[users] + 1
    hi = world.end_active[acc]
    ok = hi > lo
    users, acc, lo, hi = users[ok], acc[ok], lo[ok], hi[ok]
    days = (hi - lo) / DAY
    pages, logins = world.user_pages[users], world.user_logins[users]
    expected = world.user_p_active[users] * (pages + logins) * days
    u, t = _spread(rng, users, lo, hi, expected, world)
    is_login = rng.random(u.size) < (world.user_logins[u] / (world.user_pages[u] + world.user_logins[u]))
    names = engagement_events(world.seeds)
    if set(names) <= set(ENGAGEMENT_EVENTS):
        kinds = (("user_logged_in", is_login), ("page_viewed", ~is_login))
    else:  # a plan's own engagement events: the first takes the logins' share, the second the pages'
        masks = (is_login, ~is_login) if len(names) > 1 else (np.ones(u.size, bool),)
        kinds = tuple(zip(names, masks, strict=True))
    out = []
    for name, mask in kinds:
        if name in world.seeds.events and mask.any():
            out.append(Batch(name, world.user_acc[u[mask]], u[mask], t[mask]))
    return out


def background_batches(
    world: World, users: np.ndarray, free: dict[str, np.ndarray], depth, rng
) -> list[Batch]:
    users = users[world.activated[users] < NEVER]
    acc = world.user_acc[users]
    seg = np.array(world.segment_names, dtype=object)[world.segment[acc]]
    out = []
    engagement = engagement_events(world.seeds)
    for name, spec in world.seeds.events.items():
        if name in engagement or name in LIFECYCLE_EVENTS:
            continue
        rate = np.full(users.size, RATES.get(name, DEFAULT_RATE))
        for s in world.segment_names:
            rate[seg == s] *= SEGMENT_RATE.get((s, name), 1.0)
        lo = np.maximum(world.activated[users], free[name][acc]) + 1
        hi = world.end_active[acc].copy()
        if spec.status == "deprecated":
            hi = np.minimum(hi, world.end_s - DEPRECATED_UNTIL_DAYS * DAY)
        ok = (hi > lo) & (rate > 0)
        if not ok.any():
            continue
        expected = (
            rate[ok]
            * depth[acc[ok]]
            * world.user_p_active[users[ok]]
            / MEAN_P_ACTIVE
            * (hi[ok] - lo[ok])
            / DAY
        )
        u, t = _spread(rng, users[ok], lo[ok], hi[ok], expected, world)
        if u.size:
            out.append(Batch(name, world.user_acc[u], u, t))
    return out


def expected_volume(world: World, depth: np.ndarray) -> np.ndarray:
    """Expected events per account (for sizing chunks)."""
    users = np.flatnonzero(world.activated < NEVER)
    acc = world.user_acc[users]
    days = np.maximum(world.end_active[acc] - world.activated[users], 0) / DAY
    p = world.user_p_active[users]
    per_user = (
        p * days * (world.user_pages[users] + world.user_logins[users] + 2.0 * depth[acc] / MEAN_P_ACTIVE)
    )
    return np.bincount(acc, weights=per_user, minlength=world.n) * 0.95 + 1
