"""What every view of the report shares: colors, number formats and the order of segments and bands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from milestones.delivery.report import charts
from milestones.delivery.report.data import ReportData

SEGMENT_COLORS = ["#1f6fb2", "#1b998b", "#7b5ea7", "#c26a2e", "#5f6b7a"]
# bands worst first: red to green, whatever the bands are called (the seed names them)
BAND_SCALE = ["#d1495b", "#f0a202", "#6fa8dc", "#2e9e6a"]
EXTRA_BAND_COLORS = ["#8e7cc3", "#76a5af", "#b4a7d6", "#a4c2f4"]
SCORE_COLORS = {"health": "#1f6fb2", "engagement": "#9aa5b1"}
RETAINED, CHURNED = "#2e9e6a", "#d1495b"
VERDICT_COLORS = {"supported": charts.GOOD, "falsified": charts.BAD, "inconclusive": charts.MUTED}
# velocity quartiles, fastest (q1) darkest; accounts that did not reach the milestone in grey
QUARTILE_COLORS = {
    "q1": "#0b4f8a",
    "q2": "#2f7fc1",
    "q3": "#73a9d8",
    "q4": "#b7d3ec",
    "not_reached": "#c4c9d0",
}

NOTHING = "\u2013"  # an en dash, for a figure that does not exist

TEMPLATE_COLORS = {
    "good": charts.GOOD,
    "bad": charts.BAD,
    "warn": charts.WARN,
    "ink": charts.INK,
    "muted": charts.MUTED,
    "retained": RETAINED,
    "churned": CHURNED,
}


def ordered(data: ReportData, keyed: dict[str, Any]) -> list[str]:
    """The segments of `keyed`, largest segment first (as the customer record counts them)."""
    known = [segment for segment in data.segments if segment in keyed]
    return known + sorted(segment for segment in keyed if segment not in known)


def milestone_names(data: ReportData) -> dict[tuple[str, str], str]:
    names = {}
    for segment, rows in (data.milestones or {}).items():
        for row in rows:
            names[(segment, row["milestone_id"])] = row["milestone_name"]
    return names


def words(identifier: str) -> str:
    return str(identifier).replace("_", " ")


def band_colors(order: Sequence[str]) -> dict[str, str]:
    """Worst band red, best green; with more than four bands the middle ones get extra colours."""
    if len(order) <= len(BAND_SCALE):
        scale = BAND_SCALE[: len(order) - 1] + BAND_SCALE[-1:] if order else []
    else:
        middle = (EXTRA_BAND_COLORS * 4)[: len(order) - 4]
        scale = BAND_SCALE[:2] + middle + BAND_SCALE[2:]
    return dict(zip(order, scale, strict=True))


def money(amount: Any) -> str:
    amount = float(amount or 0)
    if amount >= 1_000_000:
        return f"${amount / 1_000_000:.1f}M"
    if amount >= 10_000:
        return f"${amount / 1_000:.0f}k"
    if amount >= 1_000:
        return f"${amount / 1_000:.1f}k"
    return f"${amount:,.0f}"


def pct(share: Any) -> str:
    """A share as a whole percent, with decimals only where a whole percent would read 0% or 100%."""
    value = float(share or 0)
    if 0 < value < 0.01:
        return f"{value:.2%}"
    if 0.99 < value < 1:
        return f"{value:.1%}"
    return f"{value:.0%}"


def fine_pct(share: Any) -> str:
    """A share with one decimal below 10% (violation rates: 1.5% and 2.4% differ)."""
    value = float(share or 0)
    return f"{value:.1%}" if value < 0.1 else pct(value)


def points(difference: float) -> str:
    """A difference of two rates in percentage points, signed."""
    return f"{difference * 100:+.1f} pts"


def count(value: Any) -> str:
    return f"{int(value or 0):,}"


def to_float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if number != number else number  # NaN
