"""What the report reads from the warehouse. Every query is plain SQL that DuckDB and PostgreSQL both
run; grouping that would need warehouse-specific date functions is done here in Python. A mart that is
not built (or lacks a column the report needs) yields None, and the page says so instead of failing.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from milestones.warehouse import Warehouse

STALLED_ACCOUNTS_PER_GROUP = 3
CANDIDATES_PER_SEGMENT = 5


class Reader:
    """Read-only access to the marts of one warehouse, with existence checks."""

    def __init__(self, connection: Any, warehouse: Warehouse) -> None:
        self.connection = connection
        self.warehouse = warehouse
        self._placeholder = warehouse.placeholder
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
    stall_groups: list[dict[str, Any]] | None = None  # one per milestone and playbook, accounts under it
    stalled_total: int = 0
    stalled_arr: float = 0.0
    top_stalled: dict[str, Any] | None = None  # the queue's most urgent account
    band_order: list[str] = field(default_factory=list)  # worst first
    bands_now: dict[str, Counter] | None = None  # live customers only
    bands_by_month: list[tuple[str, Counter, float | None]] | None = None
    history: dict[str, Any] | None = None  # live accounts by band per day and band movements
    backtest: list[dict[str, Any]] | None = None
    backtest_scope: str | None = None
    backtest_bands: dict[str, list[dict[str, Any]]] | None = None
    candidates: dict[str, list[dict[str, Any]]] | None = None
    milestone_events: dict[str, set[str]] = field(default_factory=dict)
    cohorts: dict[str, list[dict[str, Any]]] | None = None  # per segment
    experiments: list[dict[str, Any]] | None = None
    retention_depth: dict[str, list[dict[str, Any]]] | None = None  # per segment
    retention_velocity: dict[str, list[dict[str, Any]]] | None = None  # per segment
    violations: list[dict[str, Any]] | None = None
    landed_events: int | None = None  # raw event rows: valid events plus quarantined ones
    missing: dict[str, str] = field(default_factory=dict)


def gather(reader: Reader) -> ReportData:
    data = ReportData()
    _customer_records(reader, data)
    _milestones(reader, data)
    _stalls(reader, data)
    _health_bands(reader, data)
    _history(reader, data)
    _backtest(reader, data)
    _candidates(reader, data)
    _cohorts(reader, data)
    _experiments(reader, data)
    _retention(reader, data)
    _violations(reader, data)
    return data


def _customer_records(reader: Reader, data: ReportData) -> None:
    """The headline figures: live customers (no churned renewal by the as-of date) and, apart, the
    churned accounts, whose ARR is gone and whose milestones no longer need anyone."""
    if not reader.has("dim_account_milestone_status", "segment", "milestones_completed", "is_stalled"):
        data.missing["summary"] = "dim_account_milestone_status"
        return
    has_health = reader.has("dim_account_milestone_status", "health_score", "health_band")
    knows_churn = reader.has("dim_account_milestone_status", "is_churned")
    health = ", health_score, health_band" if has_health else ""
    churn = ", is_churned" if knows_churn else ""
    records = reader.rows(
        "select segment, milestones_completed, milestones_total, is_stalled, arr, as_of_date"
        f"{health}{churn} from {reader.relation('dim_account_milestone_status')}"
    )
    by_segment = Counter(record["segment"] for record in records)
    data.segments = [
        segment for segment, _ in sorted(by_segment.items(), key=lambda item: (-item[1], item[0]))
    ]
    data.as_of = _as_date(
        max((r["as_of_date"] for r in records if r["as_of_date"] is not None), default=None)
    )
    live = [record for record in records if not record.get("is_churned")]
    churned = [record for record in records if record.get("is_churned")]
    data.band_order = _band_order(reader, records if has_health else [])
    data.summary = _live_summary(live, data.band_order[:2] if has_health else [])
    data.summary |= {
        "accounts": len(records),
        "churned": len(churned),
        "churned_arr": sum(float(r["arr"] or 0) for r in churned),
        "has_health": has_health,
        "knows_churn": knows_churn,
    }
    if has_health:
        bands: dict[str, Counter] = defaultdict(Counter)
        for record in live:
            bands[record["segment"]][record["health_band"]] += 1
            bands["all segments"][record["health_band"]] += 1
        data.bands_now = dict(bands)


def _live_summary(live: list[dict[str, Any]], worst_bands: list[str]) -> dict[str, Any]:
    stalled = [record for record in live if record["is_stalled"]]
    scores = [float(r["health_score"]) for r in live if worst_bands and r["health_score"] is not None]
    return {
        "live": len(live),
        "live_by_segment": dict(Counter(record["segment"] for record in live)),
        "completed": sum(int(r["milestones_completed"] or 0) for r in live),
        "total": sum(int(r["milestones_total"] or 0) for r in live),
        "stalled": len(stalled),
        "stalled_arr": sum(float(r["arr"] or 0) for r in stalled),
        "arr": sum(float(r["arr"] or 0) for r in live),
        "median_health": statistics.median(scores) if scores else None,
        "worst_bands": worst_bands,
        "at_risk": sum(1 for r in live if worst_bands and r["health_band"] in worst_bands),
    }


def _band_order(reader: Reader, records: list[dict[str, Any]]) -> list[str]:
    """Worst band first: the seed's order, or, when the seed is empty (the default bands of
    docs/rules.md §4), the bands seen ordered by their lowest score; bands are score ranges."""
    order: list[str] = []
    if reader.has("health_score_bands", "band", "band_order", layer="seeds"):
        rows = reader.rows(
            f"select band from {reader.relation('health_score_bands', 'seeds')} order by band_order"
        )
        order = [row["band"] for row in rows]
    lowest: dict[str, float] = {}
    for record in records:
        band, score = record.get("health_band"), record.get("health_score")
        if band and score is not None:
            lowest[band] = min(lowest.get(band, float(score)), float(score))
    order += sorted((band for band in lowest if band not in order), key=lambda band: (lowest[band], band))
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
    """The intervention queue (stalled live customers) grouped by milestone and playbook: the playbook
    is the same for every account stalled on a milestone, so the page shows it once per group."""
    needed = (
        "account_name", "owner", "segment", "arr", "milestone_id", "milestone_name", "days_waiting",
        "stall_threshold_days", "days_overdue", "playbook", "priority_rank",
    )  # fmt: skip
    if not reader.has("mart_intervention_queue", *needed):
        data.missing["stalls"] = "mart_intervention_queue"
        return
    relation = reader.relation("mart_intervention_queue")
    group = "segment, milestone_id, milestone_name, playbook"
    groups = reader.rows(
        f"select {group}, count(*) as stalled, sum(arr) as arr, min(priority_rank) as top_rank,"
        f" max(days_overdue) as max_overdue from {relation} group by {group}"
    )
    data.stalled_by_milestone = Counter()
    for row in groups:
        data.stalled_by_milestone[(row["segment"], row["milestone_id"])] += int(row["stalled"])
    data.stalled_total = sum(int(row["stalled"]) for row in groups)
    data.stalled_arr = sum(float(row["arr"] or 0) for row in groups)
    accounts = reader.rows(
        f"select * from (select {', '.join(needed)}, row_number() over (partition by {group}"
        f" order by priority_rank) as rank_in_group from {relation}) as ranked"
        f" where rank_in_group <= {STALLED_ACCOUNTS_PER_GROUP} order by priority_rank"
    )
    by_group: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for account in accounts:
        by_group[_group_key(account)].append(account)
    for row in groups:
        row["accounts"] = by_group.get(_group_key(row), [])
    # the most ARR waiting first, then the most accounts: where running the playbook matters most
    data.stall_groups = sorted(groups, key=lambda row: (-float(row["arr"] or 0), -int(row["stalled"])))
    data.top_stalled = accounts[0] if accounts else None


def _group_key(row: dict[str, Any]) -> tuple:
    return (row["segment"], row["milestone_id"], row["milestone_name"], row["playbook"])


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


HISTORY = "fct_account_status_history"
MOVEMENTS = "mart_health_band_movements"
HISTORY_DAILY_UP_TO = 62  # past this many recorded days, one column per week (its last recorded day)


def _history(reader: Reader, data: ReportData) -> None:
    """Live accounts by band per recorded day (or week) from the customer record's history: an account
    counts on a day unless it had churned by then (a churned renewal on or before it, as the customer
    record's is_churned says for the as-of date)."""
    if not reader.has(HISTORY, "as_of_date", "account_id", "health_band"):
        data.missing["history"] = "missing"
        return
    rows = reader.rows(_history_sql(reader))
    if not rows:
        data.missing["history"] = "empty"
        return
    days: dict[date, Counter] = defaultdict(Counter)
    for row in rows:
        days[_as_date(row["as_of_date"])][row["health_band"]] += int(row["accounts"])
    weekly = len(days) > HISTORY_DAILY_UP_TO
    columns = _last_day_per_week(days) if weekly else sorted(days.items())
    data.history = {
        "days": len(days),
        "first": min(days).isoformat(),
        "last": max(days).isoformat(),
        "grain": "week" if weekly else "recorded day",
        "live_only": reader.has("fct_renewal_health_scores", "account_id", "renewal_date", "is_churned"),
        "periods": [(day.strftime("%b %d"), counts) for day, counts in columns],
        "movements": _movements(reader),
    }


def _history_sql(reader: Reader) -> str:
    history = reader.relation(HISTORY)
    if not reader.has("fct_renewal_health_scores", "account_id", "renewal_date", "is_churned"):
        return f"select as_of_date, health_band, count(*) as accounts from {history} group by 1, 2"
    churns = (
        "select account_id, min(renewal_date) as churned_on"
        f" from {reader.relation('fct_renewal_health_scores')} where is_churned group by account_id"
    )
    return (
        "select history.as_of_date, history.health_band, count(*) as accounts"
        f" from {history} as history left join ({churns}) as churns"
        " on history.account_id = churns.account_id"
        " where churns.churned_on is null or churns.churned_on > history.as_of_date"
        " group by history.as_of_date, history.health_band"
    )


def _last_day_per_week(days: dict[date, Counter]) -> list[tuple[date, Counter]]:
    """Each week's last recorded day (weeks start on Monday): a count of accounts is a stock, so a
    week shows where it ended rather than a sum of its days."""
    last: dict[date, date] = {}
    for day in days:
        monday = day - timedelta(days=day.weekday())
        last[monday] = max(last.get(monday, day), day)
    return [(day, days[day]) for day in sorted(last.values())]


def _movements(reader: Reader) -> list[dict[str, Any]] | None:
    """Weekly band movements summed over segments, oldest week first (None without the mart)."""
    needed = ("week_starts_on", "from_band", "to_band", "direction", "accounts")
    if not reader.has(MOVEMENTS, *needed):
        return None
    rows = reader.rows(
        f"select week_starts_on, from_band, to_band, direction, sum(accounts) as accounts"
        f" from {reader.relation(MOVEMENTS)} group by 1, 2, 3, 4 order by 1, 5 desc"
    )
    for row in rows:
        row["week_starts_on"] = _as_date(row["week_starts_on"])
        row["accounts"] = int(row["accounts"])
    return rows


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


def _cohorts(reader: Reader, data: ReportData) -> None:
    needed = (
        "segment", "signup_month", "milestone_id", "sequence", "cohort_accounts", "completed_accounts",
        "completion_rate", "accounts_observed_for_horizon", "completion_rate_within_horizon",
        "stalled_accounts", "horizon_days",
    )  # fmt: skip
    if not reader.has("mart_onboarding_cohorts", *needed):
        data.missing["cohorts"] = "mart_onboarding_cohorts"
        return
    rows = reader.rows(
        f"select {', '.join(needed)} from {reader.relation('mart_onboarding_cohorts')}"
        " order by segment, signup_month, sequence"
    )
    data.cohorts = _by_segment(rows)


def _experiments(reader: Reader, data: ReportData) -> None:
    needed = (
        "experiment_id", "variant", "is_control", "control_variant", "target_milestone_id", "window_days",
        "observed_accounts", "completed_in_window", "completion_rate", "difference", "difference_ci_lower",
        "difference_ci_upper", "z_score", "expected_effect", "falsification_threshold", "verdict",
    )  # fmt: skip
    if not reader.has("mart_experiment_results", *needed):
        data.missing["experiments"] = "mart_experiment_results"
        return
    rows = reader.rows(
        f"select {', '.join(needed)} from {reader.relation('mart_experiment_results')}"
        " order by experiment_id, is_control desc, variant"
    )
    if rows and reader.has("experiments", "experiment_id", "segment", "hypothesis", layer="seeds"):
        seeded = {
            row["experiment_id"]: row
            for row in reader.rows(
                f"select experiment_id, segment, hypothesis from {reader.relation('experiments', 'seeds')}"
            )
        }
        for row in rows:
            row |= {key: seeded.get(row["experiment_id"], {}).get(key) for key in ("segment", "hypothesis")}
    data.experiments = rows


def _retention(reader: Reader, data: ReportData) -> None:
    depth = (
        "segment", "milestones_completed", "milestones_total", "renewals", "renewed", "churned",
        "expanded", "renewal_rate", "expansion_rate",
    )  # fmt: skip
    if reader.has("mart_retention_by_milestone_depth", *depth):
        rows = reader.rows(
            f"select {', '.join(depth)} from {reader.relation('mart_retention_by_milestone_depth')}"
            " order by segment, milestones_completed"
        )
        data.retention_depth = _by_segment(rows)
    else:
        data.missing["retention_depth"] = "mart_retention_by_milestone_depth"
    velocity = (
        "segment", "milestone_id", "sequence", "velocity_group", "velocity_quartile",
        "min_days_from_previous", "max_days_from_previous", "accounts", "retained", "retention_rate",
        "horizon_days",
    )  # fmt: skip
    if reader.has("mart_retention_by_velocity_quartile", *velocity):
        rows = reader.rows(
            f"select {', '.join(velocity)} from {reader.relation('mart_retention_by_velocity_quartile')}"
            " order by segment, sequence, velocity_group"
        )
        data.retention_velocity = _by_segment(rows)
    else:
        data.missing["retention_velocity"] = "mart_retention_by_velocity_quartile"


def _violations(reader: Reader, data: ReportData) -> None:
    needed = (
        "event_name", "reason", "is_planned_event", "violating_rows", "landed_rows", "violation_rate",
        "event_violation_rate",
    )  # fmt: skip
    if not reader.has("mart_event_contract_violation_rates", *needed):
        data.missing["violations"] = "mart_event_contract_violation_rates"
        return
    data.violations = reader.rows(
        f"select {', '.join(needed)} from {reader.relation('mart_event_contract_violation_rates')}"
        " order by event_violation_rate desc, event_name, violating_rows desc, reason"
    )
    if reader.has("fct_events", "event_id"):
        # raw rows = valid events + quarantined rows (docs/rules.md §5): the denominator of the rate
        (valid,) = reader.rows(f"select count(*) as valid from {reader.relation('fct_events')}")
        quarantined = sum(int(row["violating_rows"] or 0) for row in data.violations)
        data.landed_events = int(valid["valid"]) + quarantined


def _by_segment(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["segment"]].append(row)
    return dict(grouped)


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
