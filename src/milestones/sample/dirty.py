"""Dirty event rows, one kind per quarantine reason of spec section 5.

Each dirty row is an extra row derived from a valid row of the chunk (same account, user and time) and
breaks exactly one rule, which is the first rule it breaks, so the quarantine reason is known:

malformed_record          a JSON Lines line that is not a JSON object (JSON Lines files only)
missing_required_field    event_id, account_id, event_name or occurred_at empty
duplicate_event_id        the same row re-sent later (received_at hours after the original)
invalid_timestamp         occurred_at unreadable, or more than a day after received_at
malformed_properties      properties not a JSON object
unknown_event             an event name missing from the tracking plan
missing_required_property a required property absent or null
invalid_property_type     a property value of the wrong JSON type
invalid_property_value    a value outside allowed_values
unknown_account           an account_id not among the accounts
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from milestones.sample.seeds import Seeds
from milestones.sample.timefmt import DAY, TimeFormatter
from milestones.sample.values import ValueFactory, props_text

KINDS = (
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
COLUMNS = ("event_id", "account_id", "user_id", "event_name", "occurred_at", "received_at", "properties")
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
    # the property kinds break a property of the base row's own event: pick among events that have one
    broken: dict[int, str] = {}
    for k in SYNTHESIZED:
        rows = [i for i, x in enumerate(kind) if x == k]
        candidates = {e: props for e, props in _breakable(seeds, k).items() if e in event_names}
        codes = [event_names.index(e) for e in candidates]
        pool = with_received[np.isin(etype[with_received], codes)]
        if not rows:
            continue
        if pool.size == 0:  # nothing in the plan can be broken this way: an unknown event instead
            for i in rows:
                kind[i] = "unknown_event"
            continue
        base[rows] = pool[rng.integers(0, pool.size, len(rows))]
        for i in rows:
            props = candidates[event_names[etype[base[i]]]]
            broken[i] = props[int(rng.integers(0, len(props)))]
    idx = pa.array(base)
    cols = {c: valid[c].take(idx).to_pylist() for c in COLUMNS}
    props_json = list(cols["properties"])
    raw: list[str | None] = [None] * m
    detail: dict[str, int] = {}
    later_received = fmt.iso_ms_z(received_ms[base] + rng.integers(3600_000, 48 * 3600_000, m)).to_pylist()
    future = fmt.iso_z(received_ms[base] // 1000 + rng.integers(2 * DAY, 30 * DAY, m)).to_pylist()
    next_id = first_id
    for i, k in enumerate(kind):
        if k != "duplicate_event_id":
            cols["event_id"][i] = f"evt_{next_id:012d}"
            next_id += 1
        if k == "malformed_record":
            variant, raw[i] = _malformed_line(rng, cols["event_id"][i], cols["account_id"][i])
            detail[variant] = detail.get(variant, 0) + 1
        elif k == "missing_required_field":
            field = ("event_id", "account_id", "event_name", "occurred_at")[int(rng.integers(0, 4))]
            cols[field][i] = "" if rng.random() < 0.6 else None
        elif k == "duplicate_event_id":
            cols["received_at"][i] = later_received[i]
        elif k == "invalid_timestamp":
            if rng.random() < 0.5:
                cols["occurred_at"][i] = BAD_TIMESTAMPS[int(rng.integers(0, len(BAD_TIMESTAMPS) - 1))]
            else:
                cols["occurred_at"][i] = future[i]
        elif k == "malformed_properties":
            j = int(rng.integers(0, len(BAD_PROPERTIES_JSON)))
            props_json[i] = BAD_PROPERTIES_JSON[j]
            cols["properties"][i] = BAD_PROPERTIES_TEXT[j]
        elif k == "unknown_event":
            cols["event_name"][i] = BAD_EVENT_NAMES[int(rng.integers(0, len(BAD_EVENT_NAMES)))]
        elif k == "unknown_account":
            cols["account_id"][i] = unknown_accounts[int(rng.integers(0, len(unknown_accounts)))]
    _synthesize(rng, kind, broken, cols, props_json, seeds, factory, acc[base], user[base], ts[base])
    return DirtyRows(cols, props_json, raw, kind, base, detail)


SYNTHESIZED = ("missing_required_property", "invalid_property_type", "invalid_property_value")


MALFORMED_VARIANTS = (
    "not_json",
    "json_array",
    "json_null",
    "json_string",
    "truncated_object",
    "trailing_comma",
)


def _malformed_line(rng, event_id: str, account_id: str) -> tuple[str, str]:
    """(variant, line): a JSON Lines line that is not a JSON object."""
    choice = int(rng.integers(0, len(MALFORMED_VARIANTS)))
    variant = MALFORMED_VARIANTS[choice]
    if variant == "truncated_object":
        return variant, json.dumps({"event_id": event_id, "account_id": account_id})[:-12]
    if variant == "trailing_comma":  # invalid JSON, though lenient parsers read it as an object
        return variant, '{"event_id": "' + event_id + '",}'
    return variant, ("not json", "[1,2]", "null", '"just a string"')[choice]


def _breakable(seeds: Seeds, kind: str) -> dict[str, list[str]]:
    """Per active event, the properties that can be broken the given way."""
    out: dict[str, list[str]] = {}
    for name, spec in seeds.events.items():
        if spec.status != "active":
            continue
        for p in spec.properties:
            ok = {
                "missing_required_property": p.required,
                "invalid_property_type": True,
                "invalid_property_value": bool(p.allowed) and p.type == "string",
            }[kind]
            if ok:
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
        values = tokens[prop_name].to_pylist()
        for r, v in enumerate(values):
            if k == "missing_required_property":
                values[r] = None if rng.random() < 0.7 else "null"
            elif k == "invalid_property_type":
                options = WRONG_TYPE[prop.type]
                pattern = options[int(rng.integers(0, len(options)))]
                values[r] = pattern.format((v or "7").strip('"')) if "{}" in pattern else pattern
            else:
                bad = [
                    b
                    for b in BAD_VALUES.get(prop_name, ("unknown", "n/a", "legacy"))
                    if b not in prop.allowed
                ]
                values[r] = json.dumps(bad[int(rng.integers(0, len(bad)))])
        tokens[prop_name] = pa.array(values, pa.string())
        text = props_text(spec, tokens, sel.size).to_pylist()
        for r, i in enumerate(rows):
            cols["properties"][i] = text[r]
            props_json[i] = text[r]
