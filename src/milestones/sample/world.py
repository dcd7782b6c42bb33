"""The simulated company: accounts, their latent fit, the milestone schedule drawn from the seeds,
renewals and churn, experiments, and the users of each account with the moment each becomes active.

Everything here is per account or per user (vectorised with numpy); events are made in events.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from milestones.sample.seeds import (
    ANY_EVENT,
    Criterion,
    Milestone,
    Seeds,
    joint_groups,
    milestones_counting,
)
from milestones.sample.timefmt import DAY, epoch_seconds

NEVER = np.int64(2**62)
SKIP_LOGIT = -0.8  # log-odds that an account skips a milestone it works on, at fit 0

# Criterion modes (per account): what the generator emits for it.
NONE, FULL, NEAR = 0, 1, 2

# Local-time hour weights of human activity (working day peak, lunch dip).
HOUR_WEIGHTS = np.array(
    [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 3, 5, 6, 6, 4.5, 5, 6, 5.5, 4.5, 3, 1.8, 1.2, 1, 0.8, 0.6, 0.4]
)
HOUR_CDF = np.cumsum(HOUR_WEIGHTS) / HOUR_WEIGHTS.sum()
WEEKEND_DROP = 0.65  # share of weekend activity that does not happen

# Account time zones (offset seconds, weight): offsets only show in event timestamps written in local time.
TIME_ZONES = [
    (0, 0.14),
    (3600, 0.06),
    (7200, 0.18),
    (-4 * 3600, 0.25),
    (-5 * 3600, 0.05),
    (-7 * 3600, 0.12),
    (19800, 0.06),
    (8 * 3600, 0.07),
    (10 * 3600, 0.07),
]

CSMS = {
    "trial": ("Scaled CS Team", "Priya Natarajan"),
    "paid": ("Dana Kim", "Marcus Webb", "Sofia Alvarez", "Tom Okafor", "Lena Fischer", "Ravi Menon"),
    "enterprise": ("Julia Brandt", "Omar Haddad", "Grace Liu", "Hannah Moreau"),
}


@dataclass(frozen=True)
class SegmentProfile:
    share: float
    arr_median: float  # 0: free
    arr_sigma: float
    arr_bounds: tuple[float, float]
    arr_round: int
    seats: tuple[int, float]  # minimum, mean of the Poisson extra
    workspaces: tuple[int, int]
    first_term_days: int
    term_days: int
    churn_alpha_first: float
    churn_alpha: float
    churn_kappa: float  # log-odds of churn removed per weight point reached (weights normalised to 100)
    progress: float  # log-odds of going on to the next milestone at fit 0
    plans: tuple[str, ...]


PROFILES = {
    "trial": SegmentProfile(
        0.55, 0, 0, (0, 0), 1, (2, 2.0), (1, 2), 30, 90, 3.0, 0.6, 0.042, 1.2, ("trial",)
    ),
    "paid": SegmentProfile(
        0.35,
        6000,
        0.6,
        (1200, 60000),
        100,
        (4, 8.0),
        (1, 4),
        90,
        90,
        0.7,
        0.7,
        0.036,
        4.5,
        ("team", "business"),
    ),
    "enterprise": SegmentProfile(
        0.10,
        110000,
        0.45,
        (50000, 300000),
        1000,
        (30, 60.0),
        (3, 12),
        180,
        180,
        0.3,
        0.3,
        0.036,
        2.7,
        ("enterprise",),
    ),
}
DEFAULT_PROFILE = PROFILES["paid"]
CONVERSION_ARR = (4500, 0.5, (1200, 24000), 100)  # trial conversions: median, sigma, bounds, rounding


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    segment: str
    sequence: int | None  # milestone sequence whose duration changes
    duration_multiplier: float
    description: str
    skip_odds_multiplier: float = 1.0  # on the odds that an account skips that milestone


EXPERIMENTS = (
    Experiment(
        "exp_guided_setup",
        "paid",
        2,
        0.7,
        "Guided setup wizard that walks the admin through inviting teammates; treatment completes the "
        "segment's 2nd milestone ~30% faster (days from the previous milestone x 0.7) and skips it half as "
        "often (odds x 0.5).",
        0.5,
    ),
    Experiment(
        "exp_onboarding_email_v2",
        "trial",
        None,
        1.0,
        "Rewritten onboarding email sequence; no effect on any milestone (an A/A-like control).",
    ),
)


def _skippable(milestones: tuple[Milestone, ...]) -> list[bool]:
    """A milestone may be skipped unless another milestone of the segment counts the same event: the
    skipped one's near-miss events would run on into the other's window and meet it at the wrong time."""
    counting = milestones_counting(milestones)
    return [
        all(len(counting[c.event_name]) == 1 for c in ms.criteria if c.event_name != ANY_EVENT)
        for ms in milestones
    ]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def profile(segment: str) -> SegmentProfile:
    return PROFILES.get(segment, DEFAULT_PROFILE)


def business_time(rng: np.random.Generator, day_start_local: np.ndarray, tz: np.ndarray) -> np.ndarray:
    """A UTC instant on the given local days, at a human hour."""
    hour = np.searchsorted(HOUR_CDF, rng.random(len(day_start_local)))
    return day_start_local + hour * 3600 + rng.integers(0, 3600, len(day_start_local)) - tz


def shape_times(rng: np.random.Generator, t: np.ndarray, lo: np.ndarray, hi: np.ndarray, tz: np.ndarray):
    """Move uniform instants to human hours of the same local day when that stays inside [lo, hi)."""
    local = t + tz
    moved = business_time(rng, local - local % DAY, tz)
    return np.where((moved >= lo) & (moved < hi), moved, t)


@dataclass
class SegmentPlan:
    """The drawn milestone journey of a segment's accounts (rows: accounts of the segment)."""

    name: str
    milestones: tuple[Milestone, ...]
    accs: np.ndarray
    T: np.ndarray  # drawn completion instant per milestone, NEVER for one the account does not reach
    start: np.ndarray  # work on each milestone starts here (latest completion, signup); NEVER: not worked on
    failed: np.ndarray  # (accounts, milestones): worked on but never completed
    weights: np.ndarray  # normalised to sum 100
    crit_mode: dict[str, np.ndarray] = field(default_factory=dict)
    crit_time: dict[str, np.ndarray] = field(default_factory=dict)  # drawn met-at (FULL) or NEVER
    criteria: dict[str, Criterion] = field(default_factory=dict)


@dataclass
class Renewals:
    acc: np.ndarray
    day: np.ndarray  # epoch day of the renewal date
    churned: np.ndarray
    arr_before: np.ndarray
    arr_after: np.ndarray


class World:
    def __init__(self, seeds: Seeds, accounts: int, days: int, end_date: date, seed: int):
        self.seeds = seeds
        self.n = accounts
        self.end_date = end_date
        self.start_date = end_date - timedelta(days=days - 1)
        self.start_s = epoch_seconds(self.start_date)
        self.end_s = epoch_seconds(end_date) + DAY  # exclusive
        self.seed = seed
        self.segment_names = list(seeds.segments)
        self.experiments = [e for e in EXPERIMENTS if e.segment in seeds.segments]

        self._accounts(np.random.default_rng([seed, 1]))
        self.plans = {
            s: self._schedule(s, np.random.default_rng([seed, 2, i]))
            for i, s in enumerate(self.segment_names)
        }
        self._renewals(np.random.default_rng([seed, 3]))
        for i, s in enumerate(self.segment_names):
            self._criteria_times(self.plans[s], np.random.default_rng([seed, 4, i]))
        self._users(np.random.default_rng([seed, 5]))

    # ---------------------------------------------------------------- accounts
    def _accounts(self, rng: np.random.Generator) -> None:
        n = self.n
        shares = np.array([profile(s).share for s in self.segment_names])
        shares = shares / shares.sum()
        # exact segment mix, shuffled: the first accounts are not all trials
        counts = np.floor(shares * n).astype(int)
        counts[np.argmax(shares)] += n - counts.sum()
        segment = np.repeat(np.arange(len(shares)), counts)
        rng.shuffle(segment)
        self.segment = segment.astype(np.int64)
        days = (self.end_s - self.start_s) // DAY
        # signups spread over the window, growing a little over time; sorted so that account index order
        # is signup order (files are written by ranges of accounts)
        day = np.floor(days * np.sqrt(rng.uniform(0.25, 1.0, n)) * 2 - days).astype(np.int64)
        day = np.sort(np.clip(day, 0, days - 1))
        zones = np.array([z for z, _ in TIME_ZONES])
        zw = np.array([w for _, w in TIME_ZONES])
        self.tz = zones[rng.choice(len(zones), n, p=zw / zw.sum())].astype(np.int64)
        signup = business_time(rng, self.start_s + day * DAY, self.tz)
        self.signup = np.clip(signup, self.start_s, self.end_s - 3600)
        self.fit = rng.standard_normal(n)
        self.seats = np.zeros(n, np.int64)
        self.workspaces = np.zeros(n, np.int64)
        self.arr = np.zeros(n, np.int64)
        self.owner = np.empty(n, dtype=object)
        self.plan_name = np.empty(n, dtype=object)
        for si, s in enumerate(self.segment_names):
            p = profile(s)
            idx = np.flatnonzero(self.segment == si)
            k = len(idx)
            anchors = [c.threshold for c in self.seeds.criteria(s) if c.is_user_anchor]
            min_seats = max([p.seats[0], *(a + 1 for a in anchors)])
            self.seats[idx] = min_seats + rng.poisson(p.seats[1], k)
            self.workspaces[idx] = rng.integers(p.workspaces[0], p.workspaces[1] + 1, k)
            if p.arr_median:
                arr = np.exp(np.log(p.arr_median) + p.arr_sigma * rng.standard_normal(k))
                arr = np.clip(arr, *p.arr_bounds)
                self.arr[idx] = (np.round(arr / p.arr_round) * p.arr_round).astype(np.int64)
            owners = CSMS.get(s, CSMS["paid"])
            self.owner[idx] = np.array(owners, dtype=object)[rng.integers(0, len(owners), k)]
            self.plan_name[idx] = np.array(p.plans, dtype=object)[rng.integers(0, len(p.plans), k)]
        # experiments: 50/50 at signup for the targeted segment
        self.variant: dict[str, np.ndarray] = {}
        for e in self.experiments:
            v = np.full(n, -1, np.int64)
            idx = np.flatnonzero(self.segment == self.segment_names.index(e.segment))
            v[idx] = rng.integers(0, 2, len(idx))
            self.variant[e.experiment_id] = v

    # ---------------------------------------------------------------- milestone schedule
    def _schedule(self, s: str, rng: np.random.Generator) -> SegmentPlan:
        """Draw each account's milestone journey. An account works through its segment's milestones in
        sequence until it gives up (a chance that falls with fit), leaving near misses on the milestone
        it gave up on. On the way it may skip a milestone (from the second on; the chance falls with fit)
        and go on to the next: a skipped milestone is not worked on at all, and neither is one whose
        dependencies were not reached. Skips are what make each milestone's own effect on churn visible:
        without them, reaching a later milestone would imply every earlier one, and its events would
        stand in for all of them in the retention analysis."""
        si = self.segment_names.index(s)
        milestones = self.seeds.segments[s]
        accs = np.flatnonzero(self.segment == si)
        k, m = len(accs), len(milestones)
        p = profile(s)
        z = self.fit[accs]
        tz = self.tz[accs]
        T = np.full((k, m), NEVER, np.int64)
        start = np.full((k, m), NEVER, np.int64)
        failed = np.zeros((k, m), bool)
        index = {ms.milestone_id: j for j, ms in enumerate(milestones)}
        skippable = _skippable(milestones)
        missed_users = np.full(k, np.iinfo(np.int64).max, np.int64)  # fewest users of a missed milestone
        prev = self.signup[accs].copy()
        alive = np.ones(k, bool)
        for j, ms in enumerate(milestones):
            deps_ok = np.ones(k, bool)
            for d in ms.depends_on:
                if d in index:
                    deps_ok &= T[:, index[d]] < NEVER
            users = [c.threshold for c in ms.criteria if c.is_user_anchor]
            # n users cannot be active after an earlier milestone needing no more than n was missed
            if users:
                deps_ok &= max(users) < missed_users
            works = alive & deps_ok
            go_on = alive & (rng.random(k) < sigmoid(p.progress + 1.3 * z - 0.03 * j))
            skip_logit = np.full(k, SKIP_LOGIT) - 0.5 * z
            skip_draw = rng.random(k)
            mult = np.exp(-0.3 - 0.45 * z + 0.45 * rng.standard_normal(k))
            for e in self.experiments:
                if e.segment == s and e.sequence == ms.sequence:
                    treated = self.variant[e.experiment_id][accs] == 1
                    skip_logit = np.where(treated, skip_logit + np.log(e.skip_odds_multiplier), skip_logit)
                    mult = np.where(treated, mult * e.duration_multiplier, mult)
            skip = skip_draw < sigmoid(skip_logit)
            skip &= skippable[j] and j > 0  # the first milestone is where every account starts
            reach = works & go_on & ~skip
            # the milestone the account gives up on was tried (near misses); a skipped one was not
            failed[:, j] = works & ~go_on
            start[:, j] = np.where(works & ~(skip & go_on), prev, NEVER)
            dur = np.maximum(ms.target_days * DAY * mult, 600).astype(np.int64)
            t = prev + dur
            if ms.target_days >= 1:
                local = t + tz
                t = business_time(rng, local - local % DAY, tz)
            t = np.where(t > prev + 300, t, prev + rng.integers(300, 7200, k))
            T[:, j] = np.where(reach, t, NEVER)
            prev = np.where(reach, t, prev)
            if users:
                missed_users = np.where(reach, missed_users, np.minimum(missed_users, min(users)))
            alive = go_on
        weights = np.array([ms.weight for ms in milestones], float)
        weights = weights / weights.sum() * 100 if weights.sum() > 0 else np.full(m, 100 / m)
        return SegmentPlan(s, milestones, accs, T, start, failed, weights)

    # ---------------------------------------------------------------- renewals and churn
    def _renewals(self, rng: np.random.Generator) -> None:
        n = self.n
        self.churned_at = np.full(n, NEVER, np.int64)
        rows: list[tuple[np.ndarray, ...]] = []
        end_day = self.end_s // DAY - 1
        for s, plan in self.plans.items():
            p = profile(s)
            accs = plan.accs
            signup_day = self.signup[accs] // DAY
            arr = self.arr[accs].astype(float)
            alive = np.ones(len(accs), bool)
            k = 0
            while True:
                day = signup_day + p.first_term_days + p.term_days * k
                active = alive & (day <= end_day)
                if not active.any():
                    break
                at = day * DAY
                reached = (at[:, None] >= plan.T) & (plan.T < NEVER)
                points = reached.astype(float) @ plan.weights
                alpha = p.churn_alpha_first if k == 0 else p.churn_alpha
                churn = active & (rng.random(len(accs)) < sigmoid(alpha - p.churn_kappa * points))
                renewed = active & ~churn
                before = arr.copy()
                if p.arr_median == 0 and k == 0:  # a trial converts to a paid plan, or leaves
                    med, sigma, bounds, rnd = CONVERSION_ARR
                    conv = np.clip(np.exp(np.log(med) + sigma * rng.standard_normal(len(accs))), *bounds)
                    after = np.where(renewed, np.round(conv / rnd) * rnd, 0.0)
                else:
                    frac = points / 100
                    grow = rng.random(len(accs)) < sigmoid(-2.6 + 3.6 * frac)
                    shrink = ~grow & (rng.random(len(accs)) < 0.15 * (1 - frac))
                    factor = np.where(grow, 1 + rng.uniform(0.1, 0.6, len(accs)), 1.0)
                    factor = np.where(shrink, 1 - rng.uniform(0.1, 0.3, len(accs)), factor)
                    rnd = 1000 if before.max(initial=0) >= 50000 else 100
                    after = np.where(renewed, np.round(before * factor / rnd) * rnd, 0.0)
                    after = np.where(renewed & (after <= 0) & (before > 0), before, after)
                rows.append((accs[active], day[active], churn[active], before[active], after[active]))
                arr = np.where(renewed, after, arr)
                self.churned_at[accs[churn]] = at[churn]
                alive &= ~churn
                k += 1
        if rows:
            cat = [np.concatenate(parts) for parts in zip(*rows, strict=True)]
        else:
            cat = [np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0), np.zeros(0)]
        order = np.lexsort((cat[0], cat[1]))
        self.renewals = Renewals(
            cat[0][order].astype(np.int64),
            cat[1][order].astype(np.int64),
            cat[2][order],
            cat[3][order].astype(np.int64),
            cat[4][order].astype(np.int64),
        )
        self.end_active = np.minimum(self.churned_at, self.end_s)

    # ---------------------------------------------------------------- criteria met-at (drawn)
    def _criteria_times(self, plan: SegmentPlan, rng: np.random.Generator) -> None:
        k = len(plan.accs)
        end = self.end_active[plan.accs]
        for j, ms in enumerate(plan.milestones):
            crits = ms.criteria
            gate = rng.integers(0, len(crits), k)
            # the criterion that keeps a failed milestone from completing: prefer one that can be nearly met
            near_ok = np.array([c.threshold > 1 or bool(c.filter_property) for c in crits])
            block = gate.copy()
            if near_ok.any():
                choices = np.flatnonzero(near_ok)
                block = np.where(rng.random(k) < 0.8, choices[rng.integers(0, len(choices), k)], gate)
            start = plan.start[:, j]
            is_reached = plan.T[:, j] < NEVER
            is_failed = plan.failed[:, j]
            for ci, c in enumerate(crits):
                mode = np.full(k, NONE, np.int8)
                t = np.full(k, NEVER, np.int64)
                span = np.maximum(plan.T[:, j] - start, 120)
                early = start + 60 + (rng.random(k) * (span - 120)).astype(np.int64)
                t = np.where(is_reached, np.where(gate == ci, plan.T[:, j], early), t)
                mode[is_reached] = FULL
                # failed milestone: the blocking criterion stays below its threshold, the others are met
                # or partly done
                late_span = np.maximum(end - start, 120)
                partial = start + 60 + (rng.random(k) * 0.9 * (late_span - 120)).astype(np.int64)
                done = is_failed & (block != ci) & (rng.random(k) < 0.5) & (start < end)
                t = np.where(done, partial, t)
                mode[done] = FULL
                mode[is_failed & ~done] = NEAR
                plan.crit_mode[c.key] = mode
                plan.crit_time[c.key] = t
                plan.criteria[c.key] = c
            # criteria emitted together share one mode and the instant of their last event
            for group in joint_groups(ms, self.seeds.events):
                if len(group) < 2:
                    continue
                modes = np.stack([plan.crit_mode[c.key] for c in group])
                times = np.stack([plan.crit_time[c.key] for c in group])
                mode = np.where(
                    (modes == NEAR).any(axis=0), NEAR, np.where((modes == FULL).all(axis=0), FULL, NONE)
                ).astype(np.int8)
                t = np.where(mode == FULL, np.where(modes == FULL, times, 0).max(axis=0), NEVER)
                for c in group:
                    plan.crit_mode[c.key] = mode
                    plan.crit_time[c.key] = t

    # ---------------------------------------------------------------- users
    def _users(self, rng: np.random.Generator) -> None:
        seats = self.seats
        self.user_acc = np.repeat(np.arange(self.n), seats)
        self.user_i = np.arange(len(self.user_acc)) - np.repeat(np.cumsum(seats) - seats, seats)
        nu = len(self.user_acc)
        A = np.full(nu, NEVER, np.int64)
        for plan in self.plans.values():
            pos = np.full(self.n, -1, np.int64)
            pos[plan.accs] = np.arange(len(plan.accs))
            sel = np.flatnonzero(pos[self.user_acc] >= 0)
            row = pos[self.user_acc[sel]]
            i = self.user_i[sel]
            acc = self.user_acc[sel]
            end = self.end_active[acc]
            exact = np.full(len(sel), NEVER, np.int64)
            lo = self.signup[acc].copy()
            hi = np.full(len(sel), NEVER, np.int64)
            cap = self.seats[acc].copy()
            for key, c in plan.criteria.items():
                if not c.is_user_anchor:
                    continue
                t = plan.crit_time[key][row]
                reached = (plan.crit_mode[key][row] == FULL) & (t < end)
                at = c.threshold - 1  # the user whose first event meets the criterion
                exact = np.where(reached & (i == at), np.minimum(exact, t), exact)
                lo = np.where(reached & (i > at), np.maximum(lo, t), lo)
                hi = np.where(reached & (i < at), np.minimum(hi, t), hi)
                cap = np.where(~reached, np.minimum(cap, at), cap)
            u = rng.uniform(0.02, 0.98, len(sel))
            between = lo + (u * (np.minimum(hi, end) - lo)).astype(np.int64)
            later = lo + (rng.exponential(20 * DAY, len(sel))).astype(np.int64) + 60
            a = np.where(exact < NEVER, exact, np.where(hi < NEVER, between, later))
            a = np.where(i >= cap, NEVER, a)
            a = np.where(i == 0, self.signup[acc], a)
            a = np.where(a >= end, NEVER, a)
            A[sel] = a
        self.activated = A
        # engagement habits of each user: independent of fit and of anything that drives churn
        self.user_p_active = rng.beta(2.0, 2.5, nu)
        self.user_pages = np.exp(np.log(7.0) + 0.6 * rng.standard_normal(nu))
        self.user_logins = 1.0 + rng.exponential(0.3, nu)
        # lookup: users of an account ordered by activation
        order = np.lexsort((self.user_i, A, self.user_acc))
        self.sorted_user = order
        base = self.start_s - 2 * DAY
        self._span = np.int64(self.end_s - base + 400 * DAY)
        self._base = base
        rel = np.where(A[order] >= NEVER, self._span - 1, A[order] - base)
        self._sorted_key = self.user_acc[order] * self._span + rel
        self.acc_user_start = np.searchsorted(self.user_acc[order], np.arange(self.n))
        self.n_users_ever = np.bincount(self.user_acc[A < NEVER], minlength=self.n)

    def active_count(self, acc: np.ndarray, t: np.ndarray) -> np.ndarray:
        """How many users of each account had become active at t (at least 1: the creator)."""
        key = acc * self._span + (np.asarray(t) - self._base)
        n = np.searchsorted(self._sorted_key, key, side="right") - self.acc_user_start[acc]
        return np.maximum(n, 1)

    def user_by_rank(self, acc: np.ndarray, rank: np.ndarray) -> np.ndarray:
        return self.sorted_user[self.acc_user_start[acc] + rank]

    def random_active_user(self, rng: np.random.Generator, acc: np.ndarray, t: np.ndarray) -> np.ndarray:
        n = self.active_count(acc, t)
        return self.user_by_rank(acc, (rng.random(len(acc)) * n).astype(np.int64))
