"""What the report reads from the warehouse. Every query is plain SQL that DuckDB and PostgreSQL both
run; grouping that would need warehouse-specific date functions is done here in Python. A mart that is
not built (or lacks a column the report needs) yields None, and the page says so instead of failing.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from milestones.warehouse import DuckDBWarehouse, Warehouse

DEFAULT_BAND_ORDER = ("critical", "at_risk", "steady", "healthy")
STALLED_ACCOUNTS_SHOWN = 25
CANDIDATES_PER_SEGMENT = 5


class Reader:
    """Read-only access to the marts of one warehouse, with existence checks."""

    def __init__(self, connection: Any, warehouse: Warehouse) -> None:
        self.connection = connection
        self.warehouse = warehouse
        self._placeholder = "?" if isinstance(warehouse, DuckDBWarehouse) else "%s"
        self._columns: dict[tuple[str, str], list[str]] = {}

    def schema(self, layer: str) -> str:
        return f"{self.warehouse.schema}_{layer}"

    def columns(self, name: str, layer: str = "marts") -> list[str]:
        key = (layer, name)
        if key not in self._columns:
            p = self._placeholder
            rows = self.rows(
                "select column_name from information_schema.columns"
                f" where table_schema = {p} and table_name = {p} order by ordinal_position",
                [self.schema(layer), name],
            )
            self._columns[key] = [row["column_name"] for row in rows]
        return self._columns[key]

    def has(self, name: str, *required: str, layer: str = "marts") -> bool:
        columns = self.columns(name, layer)
        return bool(columns) and all(column in columns for column in required)

    def relation(self, name: str, layer: str = "marts") -> str:
        return f"{self.schema(layer)}.{name}"

    def rows(self, sql: str, parameters: list[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, parameters or [])
            names = [description[0] for description in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()


@dataclass
class ReportData:
    as_of: date | None = None
    segments: list[str] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    milestones: dict[str, list[dict[str, Any]]] | None = None  # per segment, in sequence order
    stalled_by_milestone: dict[tuple[str, str], int] = field(default_factory=dict)
    stalled_accounts: list[dict[str, Any]] | None = None
    stalled_total: int = 0
    stalled_arr: float = 0.0
    band_order: list[str] = field(default_factory=lambda: list(DEFAULT_BAND_ORDER))
    bands_now: dict[str, Counter] | None = None
    bands_by_month: list[tuple[str, Counter, float | None]] | None = None
    bands_by_build: list[tuple[str, Counter]] | None = None
    backtest: list[dict[str, Any]] | None = None
    backtest_scope: str | None = None
    backtest_bands: dict[str, list[dict[str, Any]]] | None = None
    candidates: dict[str, list[dict[str, Any]]] | None = None
    milestone_events: dict[str, set[str]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)


def gather(reader: Reader) -> ReportData:
    data = ReportData()
    _customer_records(reader, data)
    _milestones(reader, data)
    _stalls(reader, data)
    _health_bands(reader, data)
    _backtest(reader, data)
    _candidates(reader, data)
    return data


def _customer_records(reader: Reader, data: ReportData) -> None:
    if not reader.has("dim_account_milestone_status", "segment", "milestones_completed", "is_stalled"):
        data.missing["summary"] = "dim_account_milestone_status"
        return
    has_health = reader.has("dim_account_milestone_status", "health_score", "health_band")
    health = ", health_score, health_band" if has_health else ""
    records = reader.rows(
        "select segment, milestones_completed, milestones_total, is_stalled, arr, as_of_date"
        f"{health} from {reader.relation('dim_account_milestone_status')}"
    )
    by_segment = Counter(record["segment"] for record in records)
    data.segments = [
        segment for segment, _ in sorted(by_segment.items(), key=lambda item: (-item[1], item[0]))
    ]
    data.as_of = _as_date(
        max((r["as_of_date"] for r in records if r["as_of_date"] is not None), default=None)
    )
    stalled = [record for record in records if record["is_stalled"]]
    scores = [float(r["health_score"]) for r in records if has_health and r["health_score"] is not None]
    data.summary = {
        "accounts": len(records),
        "accounts_by_segment": dict(by_segment),
        "completed": sum(int(r["milestones_completed"] or 0) for r in records),
        "total": sum(int(r["milestones_total"] or 0) for r in records),
        "stalled": len(stalled),
        "stalled_arr": sum(float(r["arr"] or 0) for r in stalled),
        "arr": sum(float(r["arr"] or 0) for r in records),
        "median_health": statistics.median(scores) if scores else None,
        "at_risk": sum(1 for r in records if has_health and r["health_band"] in ("critical", "at_risk")),
        "has_health": has_health,
    }
    if has_health:
        data.band_order = _band_order(reader, [r["health_band"] for r in records])
        bands: dict[str, Counter] = defaultdict(Counter)
        for record in records:
            bands[record["segment"]][record["health_band"]] += 1
            bands["all segments"][record["health_band"]] += 1
        data.bands_now = dict(bands)


def _band_order(reader: Reader, seen: list[str | None]) -> list[str]:
    order: list[str] = []
    if reader.has("health_score_bands", "band", "band_order", layer="seeds"):
        rows = reader.rows(
            f"select band from {reader.relation('health_score_bands', 'seeds')} order by band_order"
        )
        order = [row["band"] for row in rows]
    if not order:
        order = list(DEFAULT_BAND_ORDER)
    order += sorted({band for band in seen if band and band not in order})
    return order


def _milestones(reader: Reader, data: ReportData) -> None:
    needed = (
        "segment", "milestone_id", "sequence", "milestone_name", "accounts_total", "accounts_reached",
        "completion_rate", "accounts_timed", "median_days_from_previous", "p75_days_from_previous",
        "target_days", "stall_threshold_days",
    )  # fmt: skip
    if not reader.has("mart_segment_milestone_baselines", *needed):
        data.missing["milestones"] = "mart_segment_milestone_baselines"
        return
    rows = reader.rows(
        f"select {', '.join(needed)} from {reader.relation('mart_segment_milestone_baselines')}"
        " order by segment, sequence"
    )
    milestones: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        milestones[row["segment"]].append(row)
    data.milestones = dict(milestones)
    for segment in milestones:
        if segment not in data.segments:
            data.segments.append(segment)


def _stalls(reader: Reader, data: ReportData) -> None:
    needed = (
        "account_name", "owner", "segment", "arr", "milestone_id", "milestone_name", "days_waiting",
        "stall_threshold_days", "days_overdue", "playbook", "priority_rank",
    )  # fmt: skip
    if not reader.has("mart_intervention_queue", *needed):
        data.missing["stalls"] = "mart_intervention_queue"
        return
    relation = reader.relation("mart_intervention_queue")
    counts = reader.rows(
        f"select segment, milestone_id, count(*) as stalled, sum(arr) as arr from {relation} group by 1, 2"
    )
    data.stalled_by_milestone = {(row["segment"], row["milestone_id"]): int(row["stalled"]) for row in counts}
    data.stalled_total = sum(data.stalled_by_milestone.values())
    data.stalled_arr = sum(float(row["arr"] or 0) for row in counts)
    data.stalled_accounts = reader.rows(
        f"select {', '.join(needed)} from {relation}"
        f" where priority_rank <= {STALLED_ACCOUNTS_SHOWN} order by priority_rank"
    )


def _health_bands(reader: Reader, data: ReportData) -> None:
    if reader.has("fct_renewal_health_scores", "scored_on", "health_band", "is_churned"):
        rows = reader.rows(
            f"select scored_on, health_band, is_churned from {reader.relation('fct_renewal_health_scores')}"
        )
        months: dict[str, Counter] = defaultdict(Counter)
        churned: Counter = Counter()
        for row in rows:
            scored_on = _as_date(row["scored_on"])
            if scored_on is None or row["health_band"] is None:
                continue
            month = scored_on.strftime("%Y-%m")
            months[month][row["health_band"]] += 1
            churned[month] += 1 if row["is_churned"] else 0
        data.bands_by_month = [
            (_month_label(month), months[month], churned[month] / sum(months[month].values()))
            for month in sorted(months)
        ]
    else:
        data.missing["bands_by_month"] = "fct_renewal_health_scores"
    snapshot = "crm_account_milestone_sync_snapshot"
    if reader.has(snapshot, "crm_id", "health_band", "updated_at", "dbt_valid_from", layer="snapshots"):
        deleted = "dbt_is_deleted" if "dbt_is_deleted" in reader.columns(snapshot, "snapshots") else "'False'"
        versions = reader.rows(
            f"select crm_id, health_band, updated_at, dbt_valid_from, {deleted} as is_deleted"
            f" from {reader.relation(snapshot, 'snapshots')}"
        )
        builds = sorted({_as_date(v["updated_at"]) for v in versions if v["updated_at"] is not None})
        if len(builds) >= 2:
            history = []
            for build in builds:
                latest: dict[str, dict[str, Any]] = {}
                for version in versions:
                    if _as_date(version["updated_at"]) <= build:
                        current = latest.get(version["crm_id"])
                        if current is None or version["dbt_valid_from"] > current["dbt_valid_from"]:
                            latest[version["crm_id"]] = version
                bands = Counter(
                    v["health_band"]
                    for v in latest.values()
                    if str(v["is_deleted"]) != "True" and v["health_band"]
                )
                history.append((build.isoformat(), bands))
            data.bands_by_build = history


def _backtest(reader: Reader, data: ReportData) -> None:
    needed = ("segment", "score_name", "renewals_scored", "churned", "auc", "auc_ci_lower", "auc_ci_upper")
    if not reader.has("mart_health_score_backtest", *needed):
        data.missing["backtest"] = "mart_health_score_backtest"
        return
    relation = reader.relation("mart_health_score_backtest")
    columns = reader.columns("mart_health_score_backtest")
    extra = [
        c
        for c in ("renewal_scope", "days_before_renewal", "mean_score_renewed", "mean_score_churned")
        if c in columns
    ]
    rows = reader.rows(f"select {', '.join(needed + tuple(extra))} from {relation}")
    scope = None
    if "renewal_scope" in columns:
        scopes = sorted({row["renewal_scope"] for row in rows})
        scope = "all_renewals" if "all_renewals" in scopes else (scopes[0] if scopes else None)
        rows = [row for row in rows if row["renewal_scope"] == scope]
    data.backtest_scope = scope
    data.backtest = rows
    band_needed = ("segment", "score_name", "band", "band_order", "renewals_scored", "churned", "churn_rate")
    if reader.has("mart_health_score_backtest_bands", *band_needed):
        band_columns = reader.columns("mart_health_score_backtest_bands")
        scope_column = ", renewal_scope" if "renewal_scope" in band_columns else ""
        band_rows = reader.rows(
            f"select {', '.join(band_needed)}{scope_column}"
            f" from {reader.relation('mart_health_score_backtest_bands')} order by score_name, band_order"
        )
        if scope_column and scope is not None:
            band_rows = [row for row in band_rows if row["renewal_scope"] == scope]
        chosen = "all" if any(row["segment"] == "all" for row in band_rows) else None
        by_score: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in band_rows:
            if chosen is None or row["segment"] == chosen:
                by_score[row["score_name"]].append(row)
        data.backtest_bands = dict(by_score)
    else:
        data.missing["backtest_bands"] = "mart_health_score_backtest_bands"


def _candidates(reader: Reader, data: ReportData) -> None:
    needed = (
        "segment", "event_name", "occurrence_threshold", "share_retained", "share_churned", "lift",
        "z_score", "candidate_rank", "accounts_did",
    )  # fmt: skip
    if not reader.has("mart_milestone_candidates", *needed):
        data.missing["candidates"] = "mart_milestone_candidates"
        return
    columns = reader.columns("mart_milestone_candidates")
    extra = [c for c in ("window_days", "is_best_threshold_of_event", "difference") if c in columns]
    rows = reader.rows(
        f"select {', '.join(needed + tuple(extra))} from {reader.relation('mart_milestone_candidates')}"
        " where candidate_rank is not null order by segment, candidate_rank"
    )
    best_only = "is_best_threshold_of_event" in columns
    candidates: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if best_only and not row["is_best_threshold_of_event"]:
            continue
        if len(candidates[row["segment"]]) < CANDIDATES_PER_SEGMENT:
            candidates[row["segment"]].append(row)
    data.candidates = dict(candidates)
    if reader.has("milestone_criteria", "segment", "event_name", layer="seeds"):
        for row in reader.rows(
            f"select distinct segment, event_name from {reader.relation('milestone_criteria', 'seeds')}"
        ):
            data.milestone_events.setdefault(row["segment"], set()).add(row["event_name"])


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _month_label(month: str) -> str:
    return datetime.strptime(month, "%Y-%m").strftime("%b %Y")
