"""Dirty event rows, one kind per quarantine reason of docs/rules.md §5.

Each dirty row is an extra row derived from a valid row of the chunk (same account, user and time) and
breaks exactly one rule, which is the first rule it breaks, so the quarantine reason is known. The
reasons and their order come from the product's list (seeds/event_contract_rules.csv); below is one
maker per reason: `ROW_DIRT` edits the row itself, `PROPERTY_DIRT` rebuilds its properties with one
property broken.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from milestones.load.landing import RAW_TABLES
from milestones.rules import contract_reasons, contract_rules
from milestones.sample.seeds import Seeds
from milestones.sample.timefmt import DAY, TimeFormatter
from milestones.sample.values import ValueFactory, props_text
from milestones.user_seeds import Property

COLUMNS = RAW_TABLES["events"]
BAD_TIMESTAMPS = ("not-a-date", "2026-02-30T10:00:00Z", "13/05/2026 14:22:00", "2026-05-13T25:61:00Z", "")
BAD_EVENT_NAMES = (
    "page_view",
    "task_creatd",
    "button_clicked",
    "TaskCreated",
    "screen_viewed",
    "checkout_started",
)
# properties that are not a JSON object: as a JSON value inside a JSON Lines record, and as CSV/Parquet text
BAD_PROPERTIES_JSON = ("[1]", '"oops"', "42", '[{"page": "/home"}]')
BAD_PROPERTIES_TEXT = ("[1]", "oops", "42", '{"page": "/home"')
WRONG_TYPE = {
    "integer": ('"{}"', "2.5", "true"),
    "number": ('"3.5"', "false"),
    "boolean": ('"yes"', "1", '"true"'),
    "string": ("42", "true"),
    "timestamp": ("1715600000", "true"),
}
BAD_VALUES = {
    "integration": ("teams", "notion", "Slack"),
    "method": ("carrier_pigeon", "saml", "PASSWORD"),
    "device": ("smartwatch", "tv"),
    "invitee_role": ("owner", "superadmin"),
    "role": ("owner",),
    "format": ("docx", "PDF"),
}
UNKNOWN_VALUES = ("unknown", "n/a", "legacy")  # outside allowed_values of a property without its own
MALFORMED_VARIANTS = (
    "not_json",
    "json_array",
    "json_null",
    "json_string",
    "truncated_object",
    "trailing_comma",
)


@dataclass
class DirtyRows:
    columns: dict[str, list]  # COLUMNS -> values (None: null/empty)
    props_json: list[str]  # the properties as a JSON value, for JSON Lines records
    raw_line: list[str | None]  # a whole JSON Lines line (malformed_record), else None
    kind: list[str]
    base: np.ndarray  # the valid row each dirty row is derived from (it is written next to it)
    malformed_variants: dict[str, int]  # malformed_record lines by variant

    def __len__(self) -> int:
        return len(self.kind)


def make_dirty(
    rng: np.random.Generator,
    m: int,
    valid: dict[str, pa.Array],
    ts: np.ndarray,
    received_ms: np.ndarray,
    received_null: np.ndarray,
    acc: np.ndarray,
    user: np.ndarray,
    etype: np.ndarray,
    event_names: list[str],
    kinds: tuple[str, ...],
    first_id: int,
    unknown_accounts: list[str],
    seeds: Seeds,
    factory: ValueFactory,
    fmt: TimeFormatter,
) -> DirtyRows:
    """m dirty rows derived from rows of the chunk picked at random, so that each event name gets dirty
    rows in proportion to its volume."""
    with_received = np.flatnonzero(~received_null)
    if m == 0 or with_received.size == 0:
        return DirtyRows({c: [] for c in COLUMNS}, [], [], [], np.zeros(0, np.int64), {})
    kind = [kinds[(int(rng.integers(0, len(kinds))) + i) % len(kinds)] for i in range(m)]
    base = with_received[rng.integers(0, with_received.size, m)]
    broken = _pick_broken_properties(rng, kind, base, with_received, etype, event_names, seeds)
    idx = pa.array(base)
    cols = {c: valid[c].take(idx).to_pylist() for c in COLUMNS}
    draft = _Draft(
        rng=rng,
        cols=cols,
        props_json=list(cols["properties"]),
        raw=[None] * m,
        variants={},
        later_received=fmt.iso_ms_z(received_ms[base] + rng.integers(3600_000, 48 * 3600_000, m)).to_pylist(),
        future=fmt.iso_z(received_ms[base] // 1000 + rng.integers(2 * DAY, 30 * DAY, m)).to_pylist(),
        unknown_accounts=unknown_accounts,
    )
    next_id = first_id
    for i, k in enumerate(kind):
        if k != "duplicate_event_id":  # a duplicate keeps the id of the row it copies
            cols["event_id"][i] = f"evt_{next_id:012d}"
            next_id += 1
        if k in ROW_DIRT:
            ROW_DIRT[k](draft, i)
    _synthesize(rng, kind, broken, cols, draft.props_json, seeds, factory, acc[base], user[base], ts[base])
    return DirtyRows(cols, draft.props_json, draft.raw, kind, base, draft.variants)


@dataclass
class _Draft:
    """The dirty rows being made, and what the row makers draw from."""

    rng: np.random.Generator
    cols: dict[str, list]
    props_json: list[str]
    raw: list[str | None]
    variants: dict[str, int]
    later_received: list[str]
    future: list[str]
    unknown_accounts: list[str]


# -- the reasons that edit the row itself --------------------------------------------------------------


def _malformed_record(d: _Draft, i: int) -> None:
    """A JSON Lines line that is not a JSON object (JSON Lines files only)."""
    variant, d.raw[i] = _malformed_line(d.rng, d.cols["event_id"][i], d.cols["account_id"][i])
    d.variants[variant] = d.variants.get(variant, 0) + 1


def _missing_required_field(d: _Draft, i: int) -> None:
    """event_id, account_id, event_name or occurred_at empty."""
    field = ("event_id", "account_id", "event_name", "occurred_at")[int(d.rng.integers(0, 4))]
    d.cols[field][i] = "" if d.rng.random() < 0.6 else None


def _duplicate_event_id(d: _Draft, i: int) -> None:
    """The same row re-sent later (received_at hours after the original)."""
    d.cols["received_at"][i] = d.later_received[i]


def _invalid_timestamp(d: _Draft, i: int) -> None:
    """occurred_at unreadable, or more than a day after received_at."""
    if d.rng.random() < 0.5:
        d.cols["occurred_at"][i] = BAD_TIMESTAMPS[int(d.rng.integers(0, len(BAD_TIMESTAMPS) - 1))]
    else:
        d.cols["occurred_at"][i] = d.future[i]


def _malformed_properties(d: _Draft, i: int) -> None:
    """properties not a JSON object."""
    j = int(d.rng.integers(0, len(BAD_PROPERTIES_JSON)))
    d.props_json[i] = BAD_PROPERTIES_JSON[j]
    d.cols["properties"][i] = BAD_PROPERTIES_TEXT[j]


def _unknown_event(d: _Draft, i: int) -> None:
    """An event name missing from the tracking plan."""
    d.cols["event_name"][i] = BAD_EVENT_NAMES[int(d.rng.integers(0, len(BAD_EVENT_NAMES)))]


def _unknown_account(d: _Draft, i: int) -> None:
    """An account_id not among the accounts."""
    d.cols["account_id"][i] = d.unknown_accounts[int(d.rng.integers(0, len(d.unknown_accounts)))]


ROW_DIRT: dict[str, Callable[[_Draft, int], None]] = {
    "malformed_record": _malformed_record,
    "missing_required_field": _missing_required_field,
    "duplicate_event_id": _duplicate_event_id,
    "invalid_timestamp": _invalid_timestamp,
    "malformed_properties": _malformed_properties,
    "unknown_event": _unknown_event,
    "unknown_account": _unknown_account,
}


def _malformed_line(rng, event_id: str, account_id: str) -> tuple[str, str]:
    """(variant, line): a JSON Lines line that is not a JSON object."""
    choice = int(rng.integers(0, len(MALFORMED_VARIANTS)))
    variant = MALFORMED_VARIANTS[choice]
    if variant == "truncated_object":
        return variant, json.dumps({"event_id": event_id, "account_id": account_id})[:-12]
    if variant == "trailing_comma":  # invalid JSON, though lenient parsers read it as an object
        return variant, '{"event_id": "' + event_id + '",}'
    return variant, ("not json", "[1,2]", "null", '"just a string"')[choice]


# -- the reasons that break one property of the row's event ----------------------------------------


@dataclass(frozen=True)
class PropertyDirt:
    can_break: Callable[[Property], bool]  # which planned properties can be broken this way
    bad_value: Callable[[np.random.Generator, Property, str | None], str | None]  # a value token breaking it


def _absent(rng, prop: Property, value: str | None) -> str | None:
    """A required property absent or null."""
    return None if rng.random() < 0.7 else "null"


def _wrong_type(rng, prop: Property, value: str | None) -> str:
    """A property value of the wrong JSON type."""
    options = WRONG_TYPE[prop.type]
    pattern = options[int(rng.integers(0, len(options)))]
    return pattern.format((value or "7").strip('"')) if "{}" in pattern else pattern


def _not_allowed(rng, prop: Property, value: str | None) -> str:
    """A value outside allowed_values."""
    bad = [b for b in BAD_VALUES.get(prop.name, UNKNOWN_VALUES) if b not in prop.allowed]
    # another product's plan may allow the sample's bad values (a role "owner"): then made-up ones
    bad = bad or [b for b in (*UNKNOWN_VALUES, "__not_allowed__") if b not in prop.allowed]
    return json.dumps(bad[int(rng.integers(0, len(bad)))])


PROPERTY_DIRT: dict[str, PropertyDirt] = {
    "missing_required_property": PropertyDirt(lambda p: p.required, _absent),
    "invalid_property_type": PropertyDirt(lambda p: True, _wrong_type),
    "invalid_property_value": PropertyDirt(lambda p: bool(p.allowed) and p.type == "string", _not_allowed),
}

# The product's reasons, first rule first, and those of them that break a property.
KINDS = contract_reasons()
SYNTHESIZED = tuple(rule.reason for rule in contract_rules() if rule.is_property_rule)


def _pick_broken_properties(rng, kind, base, with_received, etype, event_names, seeds) -> dict[int, str]:
    """For the rows of the property kinds, re-picks the base row among events that have a property that
    can be broken that way, and picks that property. When no planned event has one, the row becomes an
    unknown event instead."""
    broken: dict[int, str] = {}
    for k in SYNTHESIZED:
        rows = [i for i, x in enumerate(kind) if x == k]
        candidates = {e: props for e, props in _breakable(seeds, k).items() if e in event_names}
        codes = [event_names.index(e) for e in candidates]
        pool = with_received[np.isin(etype[with_received], codes)]
        if not rows:
            continue
        if pool.size == 0:
            for i in rows:
                kind[i] = "unknown_event"
            continue
        base[rows] = pool[rng.integers(0, pool.size, len(rows))]
        for i in rows:
            props = candidates[event_names[etype[base[i]]]]
            broken[i] = props[int(rng.integers(0, len(props)))]
    return broken


def _breakable(seeds: Seeds, kind: str) -> dict[str, list[str]]:
    """Per active event, the properties that can be broken the given way."""
    out: dict[str, list[str]] = {}
    for name, spec in seeds.events.items():
        if spec.status != "active":
            continue
        for p in spec.properties:
            if PROPERTY_DIRT[kind].can_break(p):
                out.setdefault(name, []).append(p.name)
    return out


def _synthesize(
    rng, kind, broken, cols, props_json, seeds: Seeds, factory: ValueFactory, acc, user, ts
) -> None:
    """Rebuilds the rows of the property kinds as their event with one property broken."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i, prop in broken.items():
        groups.setdefault((kind[i], cols["event_name"][i], prop), []).append(i)
    for (k, event, prop_name), rows in sorted(groups.items()):
        spec = seeds.events[event]
        prop = spec.prop(prop_name)
        sel = np.array(rows)
        tokens = factory.fill(spec, acc[sel], user[sel], ts[sel], {}, rng)
        values = [PROPERTY_DIRT[k].bad_value(rng, prop, v) for v in tokens[prop_name].to_pylist()]
        tokens[prop_name] = pa.array(values, pa.string())
        text = props_text(spec, tokens, sel.size).to_pylist()
        for r, i in enumerate(rows):
            cols["properties"][i] = text[r]
            props_json[i] = text[r]
