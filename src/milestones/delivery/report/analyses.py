"""The views that explain: onboarding cohorts, retention by milestone depth and velocity, experiments,
the health-score backtest, milestone candidates and the event contract's violation rates.

Pictures where a reader compares shapes (intervals, retention bars), tables where the numbers matter.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from markupsafe import Markup

from milestones.delivery.report import charts
from milestones.delivery.report.data import CANDIDATES_PER_SEGMENT, ReportData
from milestones.delivery.report.formats import (
    CHURNED,
    NOTHING,
    QUARTILE_COLORS,
    RETAINED,
    SCORE_COLORS,
    SEGMENT_COLORS,
    VERDICT_COLORS,
    band_colors,
    count,
    milestone_names,
    ordered,
    pct,
    points,
    to_float,
    words,
)

CONTRACT_EVENTS_SHOWN = 15  # the worst event names get a row; the others are summed up
FEW_RENEWALS = 10  # below this many renewals a rate is drawn pale: read with care

# --- onboarding cohorts ---------------------------------------------------------------------------


def cohorts(data: ReportData) -> dict[str, Any] | None:
    """Per segment, one row per signup month and one cell per milestone: the share of the cohort that
    completed it within the horizon (so far, in italics, for cohorts younger than the horizon)."""
    if data.cohorts is None:
        return None
    names = milestone_names(data)
    cards = []
    horizon = None
    for segment in ordered(data, data.cohorts):
        rows = data.cohorts[segment]
        horizon = horizon or rows[0]["horizon_days"]
        milestones = sorted({(row["sequence"], row["milestone_id"]) for row in rows})
        months: dict[Any, dict[str, Any]] = {}
        for row in rows:
            month = months.setdefault(row["signup_month"], {"size": 0, "cells": {}})
            month["size"] = max(month["size"], int(row["cohort_accounts"] or 0))
            month["cells"][row["milestone_id"]] = _cohort_cell(row)
        cards.append(
            {
                "title": segment.title(),
                "milestones": [names.get((segment, mid), words(mid)) for _, mid in milestones],
                "rows": [
                    {
                        "month": _month(month),
                        "size": values["size"],
                        "cells": [values["cells"].get(mid) for _, mid in milestones],
                    }
                    for month, values in sorted(months.items())
                ],
            }
        )
    return {"cards": cards, "horizon": horizon}


def _cohort_cell(row: dict[str, Any]) -> dict[str, Any]:
    """The within-horizon rate once the whole cohort is old enough (a rate over its oldest few would
    mislead), else the share completed so far, marked young."""
    observed, size = int(row["accounts_observed_for_horizon"] or 0), int(row["cohort_accounts"] or 0)
    young = observed < size
    rate = to_float(row["completion_rate"] if young else row["completion_rate_within_horizon"]) or 0.0
    so_far = f"{row['completed_accounts']} of {size} completed so far"
    return {
        "text": pct(rate),
        "young": young,
        "style": _heat(rate),
        "title": so_far if young else f"{pct(rate)} within the horizon; {so_far}",
    }


def _heat(rate: float) -> str:
    """The cell's background: the accent color, more opaque the higher the rate (white text on dark)."""
    ink = "#fff" if rate > 0.55 else "inherit"
    return f"background:rgba(31,111,178,{0.06 + 0.8 * rate:.2f});color:{ink}"


def _month(value: Any) -> str:
    return value.strftime("%b %Y") if hasattr(value, "strftime") else str(value)[:7]


# --- retention ------------------------------------------------------------------------------------


def retention_depth(data: ReportData) -> dict[str, Any] | None:
    """Per segment, the renewal rate of the accounts that had completed 0, 1, ... n milestones by their
    renewal date."""
    if data.retention_depth is None:
        return None
    cards = []
    contrasts = []
    for index, segment in enumerate(ordered(data, data.retention_depth)):
        rows = data.retention_depth[segment]
        color = SEGMENT_COLORS[index % len(SEGMENT_COLORS)]
        total = int(rows[0]["milestones_total"] or 0) if rows else 0
        bars = [
            charts.BarRow(
                label=f"{row['milestones_completed']} of {row['milestones_total']} milestones",
                value=float(row["renewal_rate"] or 0),
                text=f"{pct(row['renewal_rate'])} renewed",
                color=color if int(row["renewals"] or 0) >= FEW_RENEWALS else _pale(color),
                note=f"n={row['renewals']}",
                note_color=charts.MUTED,
                title=(
                    f"{row['renewed']} of {row['renewals']} renewals renewed, {row['churned']} churned, "
                    f"{row['expanded']} expanded ({pct(row['expansion_rate'])})"
                ),
            )
            for row in rows
        ]
        label = f"Renewal rate by milestones completed, {segment}"
        cards.append({"title": segment.title(), "total": total, "chart": charts.bar_rows(bars, label=label)})
        solid = [row for row in rows if int(row["renewals"] or 0) >= FEW_RENEWALS]
        if len(solid) >= 2:
            contrasts.append((segment, solid[0], solid[-1]))
    return {"cards": cards, "contrasts": contrasts, "few": FEW_RENEWALS}


def _pale(color: str) -> str:
    """The color mixed two parts in three with white (for figures resting on few accounts)."""
    red, green, blue = (int(color[index : index + 2], 16) for index in (1, 3, 5))
    return "#" + "".join(f"{channel + (255 - channel) * 2 // 3:02x}" for channel in (red, green, blue))


def retention_velocity(data: ReportData) -> dict[str, Any] | None:
    """Per segment, one group of columns per milestone: the retention of each velocity quartile (q1 =
    fastest) and of the accounts that did not reach it within the horizon."""
    if data.retention_velocity is None:
        return None
    names = milestone_names(data)
    cards = []
    gaps = []
    for segment in ordered(data, data.retention_velocity):
        rows = data.retention_velocity[segment]
        by_milestone: dict[tuple[int, str], dict[str, dict[str, Any]]] = defaultdict(dict)
        for row in rows:
            by_milestone[(row["sequence"], row["milestone_id"])][row["velocity_group"]] = row
        groups = []
        for (sequence, milestone_id), groups_of in sorted(by_milestone.items()):
            name = f"{sequence}. {names.get((segment, milestone_id), words(milestone_id))}"
            groups.append(
                (name, [_velocity_column(name, group, groups_of.get(group)) for group in QUARTILE_COLORS])
            )
            gaps += _gap(segment, name, groups_of)
        churned = any(int(row["accounts"] or 0) > int(row["retained"] or 0) for row in rows)
        label = f"Retention by velocity quartile per milestone, {segment}"
        cards.append(
            {
                "title": segment.title(),
                "segment": segment,
                "accounts": _observed_accounts(by_milestone),
                "chart": charts.grouped_columns(groups, label=label, width=1150) if churned else None,
            }
        )
    legend = [(color, _velocity_label(group)) for group, color in QUARTILE_COLORS.items()]
    horizon = next((rows[0]["horizon_days"] for rows in data.retention_velocity.values() if rows), None)
    return {"cards": cards, "legend": legend, "horizon": horizon, "gap": max(gaps, default=None)}


def _gap(segment: str, name: str, groups_of: dict[str, dict[str, Any]]) -> list[tuple]:
    """The retention of the fastest quarter minus the slowest's, when both have accounts."""
    fast, slow = groups_of.get("q1"), groups_of.get("q4")
    if not (fast and slow):
        return []
    return [
        (float(fast["retention_rate"] or 0) - float(slow["retention_rate"] or 0), segment, name, fast, slow)
    ]


def _observed_accounts(by_milestone: dict[tuple[int, str], dict[str, dict[str, Any]]]) -> int:
    """Accounts observed for the horizon: every milestone's groups add up to all of them."""
    first = min(by_milestone) if by_milestone else None
    return sum(int(row["accounts"] or 0) for row in by_milestone[first].values()) if first else 0


def _velocity_column(milestone: str, group: str, row: dict[str, Any] | None) -> charts.Column:
    color = QUARTILE_COLORS[group]
    if row is None or not row["accounts"]:
        return charts.Column(None, color, f"{milestone}, {_velocity_label(group)}: no accounts")
    days = ""
    if row["min_days_from_previous"] is not None:
        days = f", {row['min_days_from_previous']} to {row['max_days_from_previous']} days"
    title = (
        f"{milestone}, {_velocity_label(group)}{days}: {row['retained']} of {row['accounts']} retained "
        f"({pct(row['retention_rate'])})"
    )
    return charts.Column(
        float(row["retention_rate"] or 0), color, title, text=f"{float(row['retention_rate'] or 0):.0%}"
    )


def _velocity_label(group: str) -> str:
    return {"q1": "q1 fastest", "q4": "q4 slowest", "not_reached": "not reached"}.get(group, group)


# --- experiments ----------------------------------------------------------------------------------


def experiments(data: ReportData) -> dict[str, Any] | None:
    """Each treatment's difference in completion rate from its control, with its interval, against the
    seeded expected effect and falsification threshold."""
    if data.experiments is None:
        return None
    treatments = [row for row in data.experiments if not row["is_control"]]
    controls = {row["experiment_id"]: row for row in data.experiments if row["is_control"]}
    names = milestone_names(data)
    rows = [_experiment_row(row, controls.get(row["experiment_id"]), names) for row in treatments]
    chart = None
    if treatments:
        chart = _experiment_chart(treatments)
    legend = [(color, verdict) for verdict, color in VERDICT_COLORS.items()]
    legend += [(charts.INK, "expected effect"), (charts.WARN, "falsification threshold")]
    return {"rows": rows, "chart": chart, "legend": legend}


def _experiment_row(
    row: dict[str, Any], control: dict[str, Any] | None, names: dict[tuple[str, str], str]
) -> dict[str, Any]:
    difference, z = to_float(row["difference"]), to_float(row["z_score"])
    lower, upper = to_float(row["difference_ci_lower"]), to_float(row["difference_ci_upper"])
    interval = f"{points(lower)} to {points(upper)}" if lower is not None and upper is not None else None
    return {
        "experiment": words(row["experiment_id"]),
        "hypothesis": row.get("hypothesis"),
        "segment": row.get("segment"),
        "variant": row["variant"],
        "milestone": names.get((row.get("segment"), row["target_milestone_id"]), row["target_milestone_id"]),
        "window": row["window_days"],
        "observed": count(row["observed_accounts"]),
        "rate": pct(row["completion_rate"]),
        "control_observed": count(control["observed_accounts"]) if control else NOTHING,
        "control_rate": pct(control["completion_rate"]) if control else NOTHING,
        "difference": points(difference) if difference is not None else NOTHING,
        "interval": interval or NOTHING,
        "expected": points(float(row["expected_effect"] or 0)),
        "z": f"{z:.1f}" if z is not None else NOTHING,
        "verdict": row["verdict"],
    }


def _experiment_chart(treatments: list[dict[str, Any]]) -> Markup:
    values = [0.0]
    for row in treatments:
        values += [to_float(row[key]) for key in ("difference_ci_lower", "difference_ci_upper")]
        values += [float(row["expected_effect"] or 0), float(row["falsification_threshold"] or 0)]
    known = [value for value in values if value is not None]
    low, high = min(known), max(known)
    pad = max(0.02, (high - low) * 0.1)
    rows = [
        charts.IntervalRow(
            label=f"{words(row['experiment_id'])} · {row['variant']}",
            estimate=to_float(row["difference"]),
            lower=to_float(row["difference_ci_lower"]),
            upper=to_float(row["difference_ci_upper"]),
            color=VERDICT_COLORS.get(row["verdict"], charts.MUTED),
            text=(
                f"{points(float(row['difference']))} · {row['verdict']}"
                if to_float(row["difference"]) is not None
                else "no observed accounts yet"
            ),
            marks=(
                charts.Mark(
                    float(row["expected_effect"] or 0),
                    charts.INK,
                    f"expected {points(float(row['expected_effect'] or 0))}",
                ),
                charts.Mark(
                    float(row["falsification_threshold"] or 0),
                    charts.WARN,
                    f"falsified below {points(float(row['falsification_threshold'] or 0))}",
                    dashed=True,
                ),
            ),
        )
        for row in treatments
    ]
    return charts.interval_rows(
        rows,
        label="Difference in completion rate from control, with 95% intervals",
        low=low - pad,
        high=high + pad,
        reference=0.0,
        reference_label="no difference",
        width=1150,
        label_width=260,
        text_width=200,
        row_height=30,
        formatter=_axis_points,
    )


def _axis_points(value: float) -> str:
    whole = round(value * 100)
    return "0" if whole == 0 else f"{whole:+d}"


# --- backtest -------------------------------------------------------------------------------------


def backtest(data: ReportData) -> dict[str, Any] | None:
    if data.backtest is None:
        return None
    by_segment: dict[str, dict[str, dict[str, Any]]] = {}
    for row in data.backtest:
        by_segment.setdefault(row["segment"], {})[row["score_name"]] = row
    scope = f" ({data.backtest_scope.replace('_', ' ')})" if data.backtest_scope else ""
    return {
        "scope": scope,
        "legend": [(color, f"{name} score") for name, color in SCORE_COLORS.items()],
        "chart": _auc_chart(data, by_segment),
        "band_charts": _band_churn_charts(data),
        "auc": _auc_takeaway(by_segment),
    }


def _auc_chart(data: ReportData, by_segment: dict[str, dict[str, dict[str, Any]]]) -> Markup:
    """Each segment's AUC per score with its interval, all segments first."""
    segments = sorted(
        by_segment, key=lambda s: (s != "all", data.segments.index(s) if s in data.segments else 99)
    )
    rows = []
    for segment in segments:
        for score in sorted(by_segment[segment], key=lambda name: (name != "health", name)):
            row = by_segment[segment][score]
            auc = to_float(row["auc"])
            rows.append(
                charts.IntervalRow(
                    label=f"{'All segments' if segment == 'all' else segment.title()} · {score}",
                    estimate=auc,
                    lower=to_float(row["auc_ci_lower"]),
                    upper=to_float(row["auc_ci_upper"]),
                    color=SCORE_COLORS.get(score, charts.ACCENT),
                    text=(
                        f"AUC {auc:.2f} · {row['renewals_scored']} renewals, {row['churned']} churned"
                        if auc is not None
                        else "not enough renewals"
                    ),
                )
            )
    return charts.interval_rows(rows, label="Backtest AUC with confidence intervals", width=1150)


def _band_churn_charts(data: ReportData) -> list[tuple[str, Markup]]:
    """Per score (health first): the churn rate at renewal of each band."""
    if not data.backtest_bands:
        return []
    colors = band_colors(data.band_order)
    charted = []
    for score in sorted(data.backtest_bands, key=lambda name: (name != "health", name)):
        bars = [
            charts.BarRow(
                label=words(row["band"]),
                value=float(row["churn_rate"] or 0),
                text=f"{float(row['churn_rate'] or 0):.0%} churned",
                color=colors.get(row["band"], charts.ACCENT),
                note=f"n={row['renewals_scored']}",
                note_color=charts.MUTED,
            )
            for row in data.backtest_bands[score]
        ]
        label = f"Churn rate by {score} band"
        charted.append((score, charts.bar_rows(bars, label=label, label_width=120)))
    return charted


def _auc_takeaway(by_segment: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any] | None:
    """The health score's AUC against engagement's over all segments, when both were scored."""
    overall = by_segment.get("all", {})
    health, engagement = overall.get("health"), overall.get("engagement")
    if not (health and engagement and health["auc"] is not None and engagement["auc"] is not None):
        return None
    return {
        "lead_time": _lead_time(health, by_segment),
        "health": float(health["auc"]),
        "engagement": float(engagement["auc"]),
    }


def _lead_time(row: dict, by_segment: dict) -> str:
    """How long before the renewal the backtest scored: one figure, or each segment's when they differ
    (the `all` row then has no single figure)."""
    days = row.get("days_before_renewal")
    if days is not None:
        return f"{int(days)} days"
    per_segment = {
        segment: int(scores["health"]["days_before_renewal"])
        for segment, scores in sorted(by_segment.items())
        if segment != "all" and scores.get("health", {}).get("days_before_renewal") is not None
    }
    if not per_segment:
        return "some days"
    each = ", ".join(f"{segment} {lead}" for segment, lead in per_segment.items())
    return f"{min(per_segment.values())} to {max(per_segment.values())} days ({each})"


# --- candidates -----------------------------------------------------------------------------------


def candidates(data: ReportData) -> dict[str, Any] | None:
    if data.candidates is None:
        return None
    if not data.candidates:
        return {"cards": [], "tops": [], "per_segment": CANDIDATES_PER_SEGMENT}
    cards = []
    tops = []
    for segment in ordered(data, {segment: True for segment in [*data.segments, *data.candidates]}):
        found = data.candidates.get(segment, [])
        used = data.milestone_events.get(segment, set())
        rows = [_candidate_row(position, row, used) for position, row in enumerate(found, start=1)]
        if found:
            tops.append((segment, str(found[0]["event_name"])))
        cards.append({"title": segment.title(), "rows": rows})
    return {"cards": cards, "tops": tops, "per_segment": CANDIDATES_PER_SEGMENT}


def _candidate_row(position: int, row: dict[str, Any], used: set[str]) -> dict[str, Any]:
    lift = to_float(row["lift"])
    return {
        "position": position,
        "event": str(row["event_name"]),
        "in_milestone": row["event_name"] in used,
        "threshold": row["occurrence_threshold"],
        "window": row.get("window_days", 90),
        "bars": charts.paired_bars(
            to_float(row["share_retained"]),
            to_float(row["share_churned"]),
            (RETAINED, CHURNED),
            titles=("share of retained accounts", "share of churned accounts"),
        ),
        "lift": "only retained" if lift is None else f"{lift:.1f}x",
        "z": f"{to_float(row['z_score']) or 0:.1f}",
    }


# --- event contract -------------------------------------------------------------------------------


def contract(data: ReportData) -> dict[str, Any] | None:
    """Per event name, its violation rate and reasons (worst first); quarantined rows per reason."""
    if data.violations is None:
        return None
    events: dict[str, dict[str, Any]] = {}
    reasons: dict[str, int] = defaultdict(int)
    for row in data.violations:
        event = events.setdefault(row["event_name"], _contract_event(row))
        event["violating"] += int(row["violating_rows"] or 0)
        event["reasons"].append((words(row["reason"]), count(row["violating_rows"])))
        reasons[row["reason"]] += int(row["violating_rows"] or 0)
    quarantined = sum(reasons.values())
    largest = max(reasons.values(), default=0)
    bars = [
        charts.BarRow(
            label=words(reason),
            value=rows / largest,
            text=f"{count(rows)} rows",
            color=charts.BAD,
            note=pct(rows / quarantined),
            note_color=charts.MUTED,
        )
        for reason, rows in sorted(reasons.items(), key=lambda item: -item[1])
    ]
    label = "Quarantined rows by reason"
    shown = list(events.values())
    return {
        "events": shown[:CONTRACT_EVENTS_SHOWN],
        "more": shown[CONTRACT_EVENTS_SHOWN:],
        "worst": shown[0] if shown else None,
        "quarantined": quarantined,
        "landed": data.landed_events,
        "chart": charts.bar_rows(bars, label=label, width=1150, label_width=220) if bars else None,
    }


def _contract_event(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": row["event_name"],
        "planned": bool(row["is_planned_event"]),
        "landed": int(row["landed_rows"] or 0),
        "violating": 0,
        "rate": float(row["event_violation_rate"] or 0),
        "reasons": [],
    }
