"""Property values for any event of the tracking plan, as JSON tokens (Arrow string arrays).

Known property names get realistic values; any other property gets a plausible value of its type, so a
tracking plan the user edits still yields valid events. A token is the JSON text of the value
(`"slack"`, `42`, `true`); a null token means the property is absent.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from milestones.sample.timefmt import DAY, TimeFormatter, join
from milestones.user_seeds import EventSpec, Property

PAGES = {
    "/home": 10,
    "/projects": 8,
    "/projects/board": 14,
    "/projects/list": 6,
    "/projects/timeline": 4,
    "/tasks/inbox": 10,
    "/tasks/my-tasks": 9,
    "/search": 4,
    "/notifications": 5,
    "/dashboards": 3,
    "/reports": 2,
    "/automations": 2,
    "/settings/profile": 1,
    "/settings/integrations": 1,
    "/admin/members": 1,
    "/admin/security": 0.5,
    "/help": 0.7,
}
VOCABULARY: dict[str, dict[str, float]] = {
    "page": PAGES,
    "referrer": {
        "/home": 5,
        "/projects": 3,
        "/tasks/inbox": 3,
        "email": 2,
        "slack": 2,
        "google": 1,
        "direct": 2,
    },
    "app_version": {"4.1.3": 1, "4.2.0": 2, "4.2.1": 3, "4.3.0": 4, "4.3.2": 5},
    "endpoint": {"/v2/tasks": 10, "/v2/projects": 4, "/v2/users": 2, "/v2/webhooks": 1, "/v2/comments": 3},
    "to_column": {"To do": 3, "Doing": 4, "Review": 2, "Done": 4, "Backlog": 1},
    "item": {"home": 4, "my_tasks": 5, "inbox": 4, "projects": 3, "reports": 1, "favorites": 1},
}
# weights of allowed values, by property name (others: uniform)
ALLOWED_WEIGHTS: dict[str, dict[str, float]] = {
    "method": {"password": 4, "google": 5, "microsoft": 2, "sso": 1.5, "magic_link": 1},
    "device": {"desktop": 8, "mobile": 3, "tablet": 1},
    "integration": {
        "slack": 5,
        "github": 3,
        "gitlab": 1,
        "calendar": 3,
        "jira": 3,
        "salesforce": 1,
        "zapier": 2,
    },
    "invitee_role": {"admin": 1, "member": 8, "guest": 2},
    "role": {"admin": 1, "member": 8, "guest": 2},
    "file_type": {"image": 4, "pdf": 3, "doc": 2, "spreadsheet": 2, "other": 1},
    "to_status": {"todo": 1, "in_progress": 4, "review": 2, "done": 3},
    "from_status": {"todo": 4, "in_progress": 3, "review": 2, "done": 1},
    "format": {"csv": 3, "pdf": 2, "xlsx": 2, "json": 1},
    "signup_source": {"organic": 5, "paid_search": 3, "referral": 2, "partner": 1, "sales": 1},
    "source": {"web": 10, "mobile": 3, "email": 1, "api": 1, "import": 1, "csv": 3, "asana": 2, "trello": 2},
}
COMPANY_SIZE = {"trial": "1-10|11-50", "paid": "11-50|51-200", "enterprise": "201-1000|1000+"}
ID_PREFIX = {
    "project_id": "prj",
    "workspace_id": "ws",
    "task_id": "tsk",
    "automation_id": "aut",
    "dashboard_id": "dsh",
    "portfolio_id": "pf",
    "role_id": "role",
    "key_id": "key",
    "import_id": "imp",
}
POOL = {"task_id": 5000, "automation_id": 8, "dashboard_id": 4, "portfolio_id": 2, "role_id": 3, "key_id": 2}
# integers: (median, log sigma, min, max) drawn log-normally
INTEGERS = {
    ("page_viewed", "duration_ms"): (8000, 1.0, 200, 600_000),
    ("automation_run", "duration_ms"): (350, 0.8, 20, 30_000),
    ("*", "latency_ms"): (120, 0.6, 5, 10_000),
    ("*", "size_kb"): (350, 1.5, 1, 200_000),
    ("*", "rows_imported"): (3000, 1.2, 10, 500_000),
    ("*", "permission_count"): (14, 0.4, 3, 60),
    ("*", "project_count"): (6, 0.5, 2, 40),
    ("*", "widget_count"): (5, 0.5, 1, 20),
    ("*", "range_days"): (90, 0.8, 7, 365),
    ("*", "mention_count"): (1, 0.7, 0, 6),
}
STATUS_CODES = {200: 80, 201: 10, 204: 3, 400: 2, 401: 1, 404: 2, 429: 1, 500: 1}
BOOL_TRUE = {"success": 0.93, "enforced": 0.6, "is_mobile": 0.22, "on_time": 0.75, "is_private": 0.15}
PRESENT = {
    "app_version": 0.9,
    "device": 0.85,
    "referrer": 0.5,
    "duration_ms": 0.8,
    "is_mobile": 0.3,
    "has_attachment": 0.3,
    "invited_by_user_id": 0.95,
    "due_at": 0.4,
    "estimate_hours": 0.3,
}
DEFAULT_PRESENT = 0.7
BOOLEANS = pa.array(["false", "true"])


def tokens_of(values) -> pa.Array:
    return pa.array([json.dumps(v) for v in values])


def weighted(names: list[str], weights: dict[str, float] | None) -> np.ndarray:
    w = np.array([(weights or {}).get(v, 1.0) for v in names], float)
    if w.sum() <= 0:
        w = np.ones(len(names))
    return np.cumsum(w) / w.sum()


def text_of_token(tokens: pa.Array, prop_type: str) -> pa.Array:
    """The criterion text of a value: a JSON string without its quotes, any other value as written."""
    if prop_type in ("string", "timestamp"):
        return pc.utf8_slice_codeunits(tokens, 1, -1)
    return tokens


def typed_token(value: str, prop: Property | None) -> str:
    """The JSON token of a seed value (a filter value) for the property's type."""
    kind = prop.type if prop else "string"
    if kind == "integer":
        return str(int(float(value)))
    if kind == "number":
        return repr(float(value)) if "." in value else value
    if kind == "boolean":
        return "true" if value.lower() == "true" else "false"
    return json.dumps(value)


class ValueFactory:
    """Makes property tokens for rows given by (account, user, time)."""

    def __init__(self, world, fmt: TimeFormatter, account_hex: list[str], user_ids: list[str]):
        self.world = world
        self.fmt = fmt
        self.account_hex = pa.array(account_hex)
        self.user_tokens = pa.array([f'"{u}"' for u in user_ids])
        self._choices: dict[tuple[str, str], tuple[pa.Array, np.ndarray]] = {}

    # ------------------------------------------------------------------ building blocks
    def choice(self, key: tuple[str, str], names: list[str], weights, rng, n: int) -> pa.Array:
        if key not in self._choices:
            self._choices[key] = (tokens_of(names), weighted(names, weights))
        tokens, cdf = self._choices[key]
        return tokens.take(pa.array(np.searchsorted(cdf, rng.random(n))))

    def pool_id(self, prop: str, acc: np.ndarray, number: np.ndarray) -> pa.Array:
        prefix = ID_PREFIX.get(prop, prop.removesuffix("_id"))
        return join(
            '"',
            f"{prefix}_",
            self.account_hex.take(pa.array(acc)),
            "_",
            pa.array(number).cast(pa.string()),
            '"',
        )

    def pool_size(self, prop: str, acc: np.ndarray) -> np.ndarray:
        if prop == "workspace_id":
            return self.world.workspaces[acc]
        if prop == "project_id":
            return 3 + 2 * self.world.workspaces[acc]
        return np.full(len(acc), POOL.get(prop, 10))

    def user_token(self, users: np.ndarray) -> pa.Array:
        return self.user_tokens.take(pa.array(users))

    def integer(self, event: str, prop: str, rng, n: int) -> pa.Array:
        if prop == "status_code":
            codes = list(STATUS_CODES)
            cdf = weighted([str(c) for c in codes], {str(k): v for k, v in STATUS_CODES.items()})
            return pa.array(np.array(codes)[np.searchsorted(cdf, rng.random(n))]).cast(pa.string())
        spec = INTEGERS.get((event, prop)) or INTEGERS.get(("*", prop)) or (20, 1.0, 1, 500)
        med, sigma, lo, hi = spec
        v = np.clip(np.round(np.exp(np.log(max(med, 0.5)) + sigma * rng.standard_normal(n))), lo, hi)
        return pa.array(v.astype(np.int64)).cast(pa.string())

    def number(self, prop: str, rng, n: int) -> pa.Array:
        if prop == "estimate_hours":
            cents = np.array([50, 100, 200, 300, 400, 600, 800, 1600])[rng.integers(0, 8, n)]
        else:
            cents = np.round(np.exp(np.log(30.0) + 1.0 * rng.standard_normal(n)) * 100).astype(np.int64) + 1
        return join(
            pa.array(cents // 100).cast(pa.string()),
            ".",
            pc.utf8_lpad(pa.array(cents % 100).cast(pa.string()), 2, "0"),
        )

    def boolean(self, prop: str, rng, n: int) -> pa.Array:
        return BOOLEANS.take(pa.array((rng.random(n) < BOOL_TRUE.get(prop, 0.5)).astype(np.int8)))

    def timestamp(self, ts: np.ndarray, rng) -> pa.Array:
        later = ts + rng.integers(1, 15, len(ts)) * DAY
        return join('"', self.fmt.iso_z(later - later % 3600), '"')

    # ------------------------------------------------------------------ one property
    def token(self, event: EventSpec, prop: Property, acc, user, ts, rng) -> pa.Array:
        n = len(acc)
        name = prop.name
        if event.name == "account_created" and name == "plan" and prop.allowed:
            plans = self.world.plan_name[acc]
            if set(plans) <= set(prop.allowed):
                return pa.array([json.dumps(p) for p in plans])
        if event.name == "account_created" and name == "company_size" and prop.allowed:
            seg = np.array(self.world.segment_names, dtype=object)[self.world.segment[acc]]
            out = self.choice((event.name, name), list(prop.allowed), None, rng, n)
            for s, sizes in COMPANY_SIZE.items():
                options = [v for v in sizes.split("|") if v in prop.allowed]
                mask = seg == s
                if options and mask.any():
                    picked = self.choice((event.name, f"{name}/{s}"), options, None, rng, n)
                    out = pc.if_else(pa.array(mask), picked, out)
            return out
        if prop.allowed:
            return (
                self.choice((event.name, name), list(prop.allowed), ALLOWED_WEIGHTS.get(name), rng, n)
                if prop.type == "string"
                else self._typed_allowed(prop, rng, n)
            )
        if prop.type == "string":
            if name.endswith("user_id"):
                return self.user_token(self.world.random_active_user(rng, acc, ts))
            if name.endswith("_id"):
                size = self.pool_size(name, acc)
                return self.pool_id(name, acc, 1 + (rng.random(n) * size).astype(np.int64))
            vocab = VOCABULARY.get(name) or {f"{name}_{i}": 1.0 for i in range(1, 6)}
            return self.choice((event.name, name), list(vocab), vocab, rng, n)
        if prop.type == "integer":
            return self.integer(event.name, name, rng, n)
        if prop.type == "number":
            return self.number(name, rng, n)
        if prop.type == "boolean":
            return self.boolean(name, rng, n)
        return self.timestamp(ts, rng)

    def _typed_allowed(self, prop: Property, rng, n: int) -> pa.Array:
        tokens = pa.array([typed_token(v, prop) for v in prop.allowed])
        return tokens.take(pa.array(rng.integers(0, len(tokens), n)))

    # ------------------------------------------------------------------ whole events
    def fill(self, event: EventSpec, acc, user, ts, given: dict[str, pa.Array], rng) -> dict[str, pa.Array]:
        """Tokens for every property of the event: the given ones, generated values for the rest
        (optional properties absent in some rows)."""
        n = len(acc)
        out: dict[str, pa.Array] = {}
        for prop in event.properties:
            if prop.name in given:
                out[prop.name] = given[prop.name]
                continue
            tok = self.token(event, prop, acc, user, ts, rng)
            if not prop.required:
                absent = rng.random(n) >= PRESENT.get(prop.name, DEFAULT_PRESENT)
                tok = pc.if_else(pa.array(absent), pa.scalar(None, pa.string()), tok)
            out[prop.name] = tok
        # a change event moves from one value to another
        for prop in event.properties:
            if not prop.name.startswith("from_") or prop.name in given or not prop.allowed:
                continue
            other = event.prop("to_" + prop.name.removeprefix("from_"))
            if other is None or tuple(other.allowed) != tuple(prop.allowed) or len(prop.allowed) < 2:
                continue
            values = tokens_of(prop.allowed)
            to_idx = pc.index_in(out[other.name], value_set=values).to_numpy(zero_copy_only=False)
            to_idx = np.nan_to_num(to_idx.astype(float), nan=0).astype(np.int64)
            shift = 1 + rng.integers(0, len(values) - 1, n)
            out[prop.name] = values.take(pa.array((to_idx - shift) % len(values)))
        return out


def props_text(event: EventSpec, tokens: dict[str, pa.Array], n: int) -> pa.Array:
    """The properties JSON object text of each row; a null token leaves the property out."""
    if not event.properties:
        return pa.array(np.full(n, "{}"))
    pieces = []
    for prop in event.properties:
        tok = tokens.get(prop.name)
        if tok is None:
            continue
        piece = join(f",{json.dumps(prop.name)}:", tok)
        pieces.append(pc.fill_null(piece, ""))
    if not pieces:
        return pa.array(np.full(n, "{}"))
    body = join(*pieces) if len(pieces) > 1 else pieces[0]
    return join("{", pc.utf8_slice_codeunits(body, 1), "}")
