"""Ground truth: evaluates every milestone criterion on the valid events the generator wrote, with the
rules of docs/rules.md §4 (met at the occurred_at of the event that brings the measure to the threshold,
ties by event_id), then product completion with depends_on and CSM overrides.

Events of an account all live in one chunk, so criteria are evaluated chunk by chunk. Within a chunk,
rows are sorted by occurred_at and event ids follow that order, so row position is (occurred_at,
event_id) order.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from milestones.sample.seeds import ANY_EVENT, Criterion, Seeds
from milestones.sample.world import NEVER


def _first_per_key(key: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each key (rows already in time order)."""
    _, first = np.unique(key, return_index=True)
    return np.sort(first)


def _kth(group: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Among rows in time order, the index of the k-th row (1-based) of each group that has one."""
    if group.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(group, kind="stable")
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    rank = np.arange(g.size) - np.repeat(starts, np.diff(np.r_[starts, g.size]))
    hit = rank == k - 1
    return g[hit], order[hit]


def _codes(values: pa.Array) -> np.ndarray:
    """Integer codes of text values, -1 for null."""
    enc = pc.dictionary_encode(values)
    idx = enc.indices
    return np.asarray(pc.fill_null(idx, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


class ChunkEvents:
    """The valid events of a chunk, in time order, with criterion-relevant property texts."""

    def __init__(self, etype, acc, user, ts, names: list[str], texts):
        self.etype, self.acc, self.user, self.ts = etype, acc, user, ts
        self.names = names
        self._texts = texts  # callable (event, property) -> (row positions, text array)
        self._first_user: np.ndarray | None = None

    def rows_of(self, event: str) -> np.ndarray:
        if event == ANY_EVENT:
            return np.arange(self.ts.size)
        if event not in self.names:
            return np.zeros(0, np.int64)
        return np.flatnonzero(self.etype == self.names.index(event))

    def codes(self, event: str, prop: str, rows: np.ndarray) -> np.ndarray:
        """Integer codes of a property's values for the given rows (-1 where absent)."""
        if prop == "user_id":
            return self.user[rows]
        return _codes(self.text(event, prop, rows))

    def first_row_per_user(self) -> np.ndarray:
        if self._first_user is None:
            self._first_user = _first_per_key(self.user)
        return self._first_user

    def text(self, event: str, prop: str, rows: np.ndarray) -> pa.Array:
        """The text of a property for the given rows (null where absent)."""
        if prop == "user_id":
            return pa.array(self.user[rows]).cast(pa.string())
        pos, texts = self._texts(event, prop)
        lookup = np.full(self.ts.size, -1, np.int64)
        lookup[pos] = np.arange(pos.size)
        idx = lookup[rows]
        return texts.take(pa.array(idx, mask=idx < 0))


def met_at(ev: ChunkEvents, c: Criterion) -> tuple[np.ndarray, np.ndarray]:
    """(accounts, met-at seconds) of the accounts of the chunk that meet the criterion."""
    if c.is_user_anchor and not c.filter_property and not c.group_by_property:
        rows = ev.first_row_per_user()
        acc, hit = _kth(ev.acc[rows], c.threshold)
        return acc, ev.ts[rows[hit]]
    rows = ev.rows_of(c.event_name)
    if c.filter_property and rows.size:
        text = ev.text(c.event_name, c.filter_property, rows)
        ok = pc.fill_null(pc.is_in(text, value_set=pa.array(list(c.filter_values))), False)
        rows = rows[np.asarray(ok.to_numpy(zero_copy_only=False), bool)]
    if rows.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    acc = ev.acc[rows]
    group = np.zeros(rows.size, np.int64)
    if c.group_by_property:
        group = ev.codes(c.event_name, c.group_by_property, rows)
        keep = group >= 0
        rows, acc, group = rows[keep], acc[keep], group[keep]
    if c.measure == "distinct" and rows.size:
        value = ev.codes(c.event_name, c.distinct_property, rows)
        keep = value >= 0
        rows, acc, group, value = rows[keep], acc[keep], group[keep], value[keep]
        n_values = int(value.max(initial=0)) + 1
        n_groups = int(group.max(initial=0)) + 1
        first = _first_per_key((acc * n_groups + group) * n_values + value)
        rows, acc, group = rows[first], acc[first], group[first]
    n_groups = int(group.max(initial=0)) + 1
    _, hit = _kth(acc * n_groups + group, c.threshold)
    if hit.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # the earliest group to reach the threshold (rows are positions in time order)
    hit_rows = rows[hit]
    hit_acc = acc[hit]
    order = np.lexsort((hit_rows, hit_acc))
    hit_acc, hit_rows = hit_acc[order], hit_rows[order]
    first = np.flatnonzero(np.r_[True, hit_acc[1:] != hit_acc[:-1]])
    return hit_acc[first], ev.ts[hit_rows[first]]


class Truth:
    """Met-at per criterion and completions per milestone, for every account."""

    def __init__(self, seeds: Seeds, n_accounts: int):
        self.seeds = seeds
        self.n = n_accounts
        self.criterion_met = {
            c.key: np.full(n_accounts, NEVER, np.int64) for s in seeds.segments for c in seeds.criteria(s)
        }

    def evaluate_chunk(self, ev: ChunkEvents, segment_of_acc: np.ndarray, segment_names: list[str]) -> None:
        chunk_seg = segment_of_acc[ev.acc] if ev.acc.size else np.zeros(0, np.int64)
        for si, s in enumerate(segment_names):
            if not (chunk_seg == si).any():
                continue
            for c in self.seeds.criteria(s):
                acc, t = met_at(ev, c)
                mine = segment_of_acc[acc] == si
                self.criterion_met[c.key][acc[mine]] = t[mine]

    def completions(self, segment: str, accs: np.ndarray, overrides: dict[str, np.ndarray] | None = None):
        """Per milestone: (criteria met-at, product completion, completion) for the accounts; overrides
        maps milestone_id to the CSM's completion instant (NEVER: none)."""
        out = {}
        done: dict[str, np.ndarray] = {}
        for ms in self.seeds.segments[segment]:
            crit = np.max([self.criterion_met[c.key][accs] for c in ms.criteria], axis=0)
            product = crit.copy()
            for dep in ms.depends_on:
                product = np.maximum(product, done[dep])
            override = (overrides or {}).get(ms.milestone_id, np.full(accs.size, NEVER, np.int64))
            completed = np.minimum(product, override)
            done[ms.milestone_id] = completed
            out[ms.milestone_id] = (crit, product, completed)
        return out
