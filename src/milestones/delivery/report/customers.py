"""The views about customers today: the headline figures, the funnel and pace of milestones, the
stalled accounts grouped by playbook and the health bands (now and over time).

Every headline figure counts live customers (no churned renewal by the as-of date) and names its
denominator; the churned accounts are shown apart: their ARR is gone and nobody is left to help.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

from milestones.delivery.report import charts
from milestones.delivery.report.data import STALLED_ACCOUNTS_PER_GROUP, ReportData
from milestones.delivery.report.formats import (
    SEGMENT_COLORS,
    band_colors,
    count,
    money,
    ordered,
    pct,
    to_float,
    words,
)

STALL_GROUP_CARDS = 6  # the groups with the most ARR waiting get a card; the others a table row

# --- summary --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    sub: str
    tone: str = ""  # "alert" (red figure) or "apart" (shown apart from the live figures)


def summary(data: ReportData) -> list[Kpi] | None:
    figures = data.summary
    if figures is None:
        return None
    live = figures["live"]
    of_live = f"of {count(live)} live customers"
    cards = [_live_kpi(data)]
    if figures["knows_churn"]:
        cards.append(_churned_kpi(figures))
    completed_share = figures["completed"] / figures["total"] if figures["total"] else 0
    cards.append(
        Kpi(
            "Milestones completed",
            pct(completed_share),
            f"{count(figures['completed'])} of {count(figures['total'])} milestones {of_live}",
        )
    )
    stalled = figures["stalled"]
    stalled_sub = (
        f"{of_live} ({pct(stalled / live if live else 0)}) · {money(figures['stalled_arr'])} ARR waiting"
    )
    cards.append(Kpi("Stalled", count(stalled), stalled_sub, tone="alert"))
    if figures["has_health"]:
        cards.append(_at_risk_kpi(figures, of_live))
    cards.append(Kpi("ARR", money(figures["arr"]), f"annual recurring revenue {of_live}"))
    return cards


def _live_kpi(data: ReportData) -> Kpi:
    figures = data.summary
    counts = figures["live_by_segment"]
    by_segment = " · ".join(f"{segment} {count(counts[segment])}" for segment in ordered(data, counts))
    if not figures["knows_churn"]:
        return Kpi("Customers", count(figures["live"]), f"{by_segment} · churn not known to this warehouse")
    return Kpi(
        "Live customers", count(figures["live"]), f"of {count(figures['accounts'])} accounts · {by_segment}"
    )


def _churned_kpi(figures: dict[str, Any]) -> Kpi:
    return Kpi(
        "Churned",
        count(figures["churned"]),
        f"accounts with a churned renewal · {money(figures['churned_arr'])} ARR lost"
        " · left out of the other figures",
        tone="apart",
    )


def _at_risk_kpi(figures: dict[str, Any], of_live: str) -> Kpi:
    bands = " or ".join(words(band) for band in figures["worst_bands"])
    live = figures["live"]
    median = figures["median_health"]
    share = pct(figures["at_risk"] / live if live else 0)
    return Kpi(
        f"{bands.capitalize()}",
        count(figures["at_risk"]),
        f"{of_live} ({share}) · median health score {median:.0f}" if median is not None else of_live,
        tone="alert",
    )


# --- funnel and pace ------------------------------------------------------------------------------


class Drop(NamedTuple):
    """A fall in completion from one milestone to the next (tuples compare: the largest fall wins)."""

    fall: float
    segment: str
    name: str
    rate: float
    before: float


def funnel(data: ReportData) -> dict[str, Any] | None:
    if data.milestones is None:
        return None
    cards = []
    drops: list[Drop] = []
    for index, segment in enumerate(ordered(data, data.milestones)):
        rows = data.milestones[segment]
        color = SEGMENT_COLORS[index % len(SEGMENT_COLORS)]
        bars = [_funnel_bar(data, segment, row, color) for row in rows]
        drops += [
            Drop(before.value - after.value, segment, row["milestone_name"], after.value, before.value)
            for before, after, row in zip(bars, bars[1:], rows[1:], strict=False)
        ]
        cards.append(
            {
                "title": segment.title(),
                "accounts": rows[0]["accounts_total"] if rows else 0,
                "milestones": len(rows),
                "chart": charts.bar_rows(bars, label=f"Milestone completion, {segment}"),
            }
        )
    return {"cards": cards, "drop": max(drops) if drops else None}


def _funnel_bar(data: ReportData, segment: str, row: dict[str, Any], color: str) -> charts.BarRow:
    rate = float(row["completion_rate"] or 0)
    stalled = data.stalled_by_milestone.get((segment, row["milestone_id"]), 0)
    return charts.BarRow(
        label=f"{row['sequence']}. {row['milestone_name']}",
        value=rate,
        text=f"{rate:.0%}  ({row['accounts_reached']:,}/{row['accounts_total']:,})",
        color=color,
        note=f"{stalled} stalled" if stalled else "",
    )


def pace(data: ReportData) -> dict[str, Any] | None:
    if data.milestones is None:
        return None
    cards = []
    late = []
    for segment in ordered(data, data.milestones):
        rows = []
        for row in data.milestones[segment]:
            median = to_float(row["median_days_from_previous"])
            target = float(row["target_days"] or 0)
            if median is not None and median > target:
                late.append(f"{row['milestone_name']} ({segment}: {median:g} d vs {target:g} d)")
            rows.append(
                charts.PaceRow(
                    label=f"{row['sequence']}. {row['milestone_name']}",
                    median=median,
                    p75=to_float(row["p75_days_from_previous"]),
                    target=target,
                    threshold=to_float(row["stall_threshold_days"]),
                    timed=int(row["accounts_timed"] or 0),
                )
            )
        label = f"Days to each milestone against target, {segment}"
        cards.append({"title": segment.title(), "chart": charts.pace_rows(rows, label=label)})
    return {"cards": cards, "late": late}


# --- stalled accounts -----------------------------------------------------------------------------


def stalled(data: ReportData) -> dict[str, Any] | None:
    """The queue grouped by milestone and playbook (each playbook once, its accounts under it)."""
    if data.stall_groups is None:
        return None
    live = data.summary["live"] if data.summary else None
    groups = [
        {
            "milestone": group["milestone_name"],
            "segment": group["segment"],
            "playbook": group["playbook"],
            "stalled": int(group["stalled"]),
            "arr": float(group["arr"] or 0),
            "accounts": group["accounts"],
            "more": int(group["stalled"]) - len(group["accounts"]),
        }
        for group in data.stall_groups
    ]
    return {
        "groups": groups[:STALL_GROUP_CARDS],
        "more_groups": groups[STALL_GROUP_CARDS:],
        "total": data.stalled_total,
        "arr": data.stalled_arr,
        "live": live,
        "top": data.top_stalled,
        "per_group": STALLED_ACCOUNTS_PER_GROUP,
    }


# --- health bands ---------------------------------------------------------------------------------


def health(data: ReportData) -> dict[str, Any] | None:
    if data.bands_now is None and data.bands_by_month is None:
        return None
    colors = band_colors(data.band_order)
    view: dict[str, Any] = {
        "legend": [(colors[band], words(band)) for band in data.band_order],
        "now": None,
        "at_risk": None,
        "by_month": None,
        "by_month_missing": "bands_by_month" in data.missing,
    }
    if data.bands_now is not None:
        order = ["all segments", *[s for s in ordered(data, data.bands_now) if s != "all segments"]]
        rows = [(segment, dict(data.bands_now[segment])) for segment in order if segment in data.bands_now]
        label = "Health bands of live customers by segment now"
        view["now"] = charts.stacked_share_rows(rows, data.band_order, colors, label=label)
        view["at_risk"] = _at_risk(data)
    if data.bands_by_month:
        view["by_month"] = charts.stacked_columns(
            [(label, dict(counts)) for label, counts, _ in data.bands_by_month],
            data.band_order,
            colors,
            line=[rate for _, _, rate in data.bands_by_month],
            line_label="— churned at renewal",
            label="Health bands before renewal by month, with churn rate",
        )
    return view


def _at_risk(data: ReportData) -> dict[str, Any] | None:
    """How many live customers are in the two worst bands today (None without any)."""
    everyone = data.bands_now.get("all segments", Counter())
    worst = data.band_order[:2]
    total = sum(everyone.values())
    if not total:
        return None
    return {"count": sum(everyone.get(band, 0) for band in worst), "total": total, "bands": worst}


# --- over time ---------------------------------------------------------------------------------


def history(data: ReportData) -> dict[str, Any] | None:
    """Live accounts by band per day (or week) from the status history, and the weekly band moves."""
    if data.history is None:
        return None
    colors = band_colors(data.band_order)
    story = data.history
    who = "Live customers" if story["live_only"] else "Accounts (churn unknown)"
    return {
        **{key: story[key] for key in ("days", "first", "last", "grain")},
        "who": who,
        "legend": [(colors[band], words(band)) for band in data.band_order],
        "chart": charts.stacked_counts(
            story["periods"], data.band_order, colors, label=f"{who} by health band per {story['grain']}"
        ),
        "movements": _movements(story["movements"], colors),
        "movements_missing": story["movements"] is None,
    }


def _movements(moves: list[dict[str, Any]] | None, colors: dict[str, str]) -> dict[str, Any] | None:
    """Moves up and down per week (a diverging chart) and the latest week's moves by pair of bands."""
    if not moves:
        return None
    weeks: dict[Any, Counter] = {}
    for move in moves:
        weeks.setdefault(move["week_starts_on"], Counter())[move["direction"]] += move["accounts"]
    latest = max(weeks)
    chart = charts.diverging_columns(
        [(week.strftime("%b %d"), counts["up"], counts["down"]) for week, counts in sorted(weeks.items())],
        colors=(charts.GOOD, charts.BAD),
        label="Accounts moving up and down a health band per week",
    )
    rows = [
        {**move, "from_color": colors.get(move["from_band"]), "to_color": colors.get(move["to_band"])}
        for move in moves
        if move["week_starts_on"] == latest
    ]
    return {
        "chart": chart,
        "rows": rows,
        "week": latest.isoformat(),
        "up": weeks[latest]["up"],
        "down": weeks[latest]["down"],
    }
