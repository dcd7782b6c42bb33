"""Hand-written inline SVG charts: no plotting library, no script, no network.

Every function returns one `<svg>` element as text, sized in pixels with a viewBox so it scales down
on narrow screens. Text is escaped here; callers pass plain strings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
INK = "#1d2633"
MUTED = "#5f6b7a"
GRID = "#e3e8ef"
TRACK = "#eef1f5"
GOOD = "#2e9e6a"
BAD = "#d1495b"
WARN = "#e39b17"
ACCENT = "#1f6fb2"
CHAR_WIDTH = 6.4  # average width of a 12px character, for truncation


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: int = 12,
    anchor: str = "start",
    fill: str = INK,
    weight: str = "normal",
    title: str | None = None,
) -> str:
    tooltip = f"<title>{escape(title)}</title>" if title else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
        f'font-weight="{weight}">{tooltip}{escape(text)}</text>'
    )


def _fit(text: str, width: float, size: int = 12) -> str:
    limit = max(4, int(width / (CHAR_WIDTH * size / 12)))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _svg(width: float, height: float, body: Sequence[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(label)}" '
        f'style="{FONT};max-width:100%;height:auto">' + "".join(body) + "</svg>"
    )


def _nice_step(maximum: float, ticks: int = 5) -> float:
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10 * magnitude


@dataclass(frozen=True)
class BarRow:
    label: str
    value: float  # 0..max_value
    text: str
    color: str = ACCENT
    note: str = ""
    note_color: str = BAD
    title: str = ""


def bar_rows(
    rows: Sequence[BarRow],
    *,
    label: str,
    max_value: float = 1.0,
    width: int = 620,
    label_width: int = 230,
    note_width: int = 74,
    value_width: int = 112,
    row_height: int = 26,
) -> str:
    """Horizontal bars on a track, one per row: label, bar, value text, and an optional note column."""
    bar_width = width - label_width - note_width - value_width
    body = []
    for index, row in enumerate(rows):
        y = index * row_height + 4
        share = 0.0 if max_value <= 0 else max(0.0, min(1.0, row.value / max_value))
        title = row.title or f"{row.label}: {row.text}"
        body.append(_text(0, y + 14, _fit(row.label, label_width - 8), title=row.label))
        body.append(
            f'<rect x="{label_width}" y="{y + 2}" width="{bar_width}" height="{row_height - 10}" '
            f'rx="3" fill="{TRACK}"/>'
        )
        body.append(
            f'<rect x="{label_width}" y="{y + 2}" width="{bar_width * share:.1f}" height="{row_height - 10}" '
            f'rx="3" fill="{row.color}"><title>{escape(title)}</title></rect>'
        )
        body.append(_text(label_width + bar_width + 8, y + 14, row.text, fill=INK, weight="600"))
        if row.note:
            body.append(_text(width, y + 14, row.note, anchor="end", fill=row.note_color, size=11))
    return _svg(width, len(rows) * row_height + 8, body, label)


@dataclass(frozen=True)
class PaceRow:
    label: str
    median: float | None
    p75: float | None
    target: float
    threshold: float | None
    timed: int


def pace_rows(
    rows: Sequence[PaceRow], *, label: str, width: int = 620, label_width: int = 230, row_height: int = 28
) -> str:
    """Observed days from the previous milestone (median dot, bar to p75) against the target (tick)."""
    values = [v for row in rows for v in (row.median, row.p75, row.target, row.threshold) if v is not None]
    top = max([*values, 1.0]) * 1.1
    step = _nice_step(top)
    top = math.ceil(top / step) * step
    plot_width = width - label_width - 120
    axis_y = 16

    def x_of(days: float) -> float:
        return label_width + plot_width * max(0.0, days) / top

    body = []
    tick = 0.0
    while tick <= top + 1e-9:
        x = x_of(tick)
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y}" y2="{axis_y + len(rows) * row_height}" '
                    f'stroke="{GRID}"/>')  # fmt: skip
        body.append(_text(x, axis_y - 5, f"{tick:g}", size=10, anchor="middle", fill=MUTED))
        tick += step
    for index, row in enumerate(rows):
        y = axis_y + index * row_height + row_height / 2
        body.append(_text(0, y + 4, _fit(row.label, label_width - 8), title=row.label))
        summary = f"target {row.target:g} d"
        if row.median is None:
            body.append(_text(x_of(0) + 4, y + 4, "no completions yet", size=11, fill=MUTED))
        else:
            late = row.median > row.target
            color = BAD if late else GOOD
            p75 = row.p75 if row.p75 is not None else row.median
            title = (
                f"{row.label}: median {row.median:g} d, p75 {p75:g} d, target {row.target:g} d "
                f"({row.timed} accounts)"
            )
            body.append(
                f'<rect x="{x_of(row.median):.1f}" y="{y - 5:.1f}" '
                f'width="{max(2.0, x_of(p75) - x_of(row.median)):.1f}" height="10" rx="5" '
                f'fill="{color}" fill-opacity="0.28"><title>{escape(title)}</title></rect>'
            )
            body.append(
                f'<circle cx="{x_of(row.median):.1f}" cy="{y:.1f}" r="5.5" fill="{color}">'
                f"<title>{escape(title)}</title></circle>"
            )
            summary = f"{row.median:g} d vs {row.target:g} d"
        if row.threshold is not None and row.threshold != row.target:
            xt = x_of(row.threshold)
            body.append(
                f'<line x1="{xt:.1f}" x2="{xt:.1f}" y1="{y - 9:.1f}" y2="{y + 9:.1f}" stroke="{WARN}" '
                f'stroke-width="2" stroke-dasharray="3 2">'
                f"<title>stall threshold {row.threshold:g} d</title></line>"
            )
        xt = x_of(row.target)
        body.append(
            f'<path d="M{xt:.1f} {y - 8:.1f} l5 8 l-5 8 l-5 -8 z" fill="{INK}">'
            f"<title>target {row.target:g} d</title></path>"
        )
        body.append(_text(width, y + 4, summary, anchor="end", size=11, fill=MUTED))
    return _svg(width, axis_y + len(rows) * row_height + 6, body, label)


def stacked_share_rows(
    rows: Sequence[tuple[str, dict[str, int]]],
    categories: Sequence[str],
    colors: dict[str, str],
    *,
    label: str,
    width: int = 620,
    label_width: int = 120,
    row_height: int = 30,
) -> str:
    """One 100% bar per row, split by category, with the share printed where it fits."""
    bar_width = width - label_width - 60
    body = []
    for index, (row_label, counts) in enumerate(rows):
        y = index * row_height + 4
        total = sum(counts.values())
        body.append(_text(0, y + 16, _fit(row_label, label_width - 8), weight="600"))
        body.append(_text(width, y + 16, f"n={total}", anchor="end", size=11, fill=MUTED))
        x = float(label_width)
        for category in categories:
            count = counts.get(category, 0)
            if not total or not count:
                continue
            segment_width = bar_width * count / total
            title = f"{row_label}, {category}: {count} of {total} ({count / total:.0%})"
            body.append(
                f'<rect x="{x:.1f}" y="{y + 2}" width="{segment_width:.1f}" height="{row_height - 10}" '
                f'fill="{colors.get(category, MUTED)}"><title>{escape(title)}</title></rect>'
            )
            if segment_width > 34:
                body.append(
                    _text(
                        x + segment_width / 2,
                        y + 16,
                        f"{count / total:.0%}",
                        size=11,
                        anchor="middle",
                        fill="#fff",
                    )
                )
            x += segment_width
    return _svg(width, len(rows) * row_height + 6, body, label)


def stacked_columns(
    columns: Sequence[tuple[str, dict[str, int]]],
    categories: Sequence[str],
    colors: dict[str, str],
    *,
    label: str,
    line: Sequence[float | None] | None = None,
    line_label: str = "",
    width: int = 620,
    height: int = 240,
) -> str:
    """100% stacked columns (e.g. health bands per month) with an optional rate line (0..100%)."""
    left, right, top, bottom = 34, 44 if line else 10, 12, 38
    plot_width = width - left - right
    plot_height = height - top - bottom
    slot = plot_width / max(1, len(columns))
    column_width = min(46.0, slot * 0.7)
    body = []
    for share in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_height * (1 - share)
        body.append(f'<line x1="{left}" x2="{left + plot_width}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y + 4, f"{share:.0%}", size=10, anchor="end", fill=MUTED))
    points = []
    for index, (column_label, counts) in enumerate(columns):
        total = sum(counts.values())
        x = left + slot * index + (slot - column_width) / 2
        y = float(top + plot_height)
        for category in categories:
            count = counts.get(category, 0)
            if not total or not count:
                continue
            h = plot_height * count / total
            y -= h
            title = f"{column_label}, {category}: {count} of {total} ({count / total:.0%})"
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{column_width:.1f}" height="{h:.1f}" '
                f'fill="{colors.get(category, MUTED)}"><title>{escape(title)}</title></rect>'
            )
        body.append(
            _text(x + column_width / 2, top + plot_height + 15, column_label, size=10, anchor="middle")
        )
        body.append(
            _text(
                x + column_width / 2,
                top + plot_height + 28,
                f"n={total}",
                size=9,
                anchor="middle",
                fill=MUTED,
            )
        )
        if line is not None and index < len(line) and line[index] is not None:
            points.append((x + column_width / 2, top + plot_height * (1 - float(line[index])), line[index]))
    if points:
        path = " ".join(f"{'M' if i == 0 else 'L'}{px:.1f} {py:.1f}" for i, (px, py, _) in enumerate(points))
        body.append(f'<path d="{path}" fill="none" stroke="{INK}" stroke-width="2"/>')
        for px, py, value in points:
            body.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="#fff" stroke="{INK}" stroke-width="2">'
                f"<title>{escape(line_label)}: {value:.0%}</title></circle>"
            )
        body.append(_text(width - 2, top + 10, line_label, size=10, anchor="end", fill=INK, weight="600"))
    return _svg(width, height, body, label)


@dataclass(frozen=True)
class IntervalRow:
    label: str
    estimate: float | None
    lower: float | None
    upper: float | None
    color: str
    text: str = ""


def interval_rows(
    rows: Sequence[IntervalRow],
    *,
    label: str,
    low: float = 0.3,
    high: float = 1.0,
    reference: float | None = 0.5,
    reference_label: str = "coin flip",
    width: int = 620,
    label_width: int = 200,
    text_width: int = 250,
    row_height: int = 24,
    formatter: Callable[[float], str] = lambda value: f"{value:.2f}",
) -> str:
    """A forest plot: estimate dots with interval whiskers on a shared axis, and a reference line."""
    plot_width = width - label_width - text_width
    axis_y = 18

    def x_of(value: float) -> float:
        return label_width + plot_width * (min(max(value, low), high) - low) / (high - low)

    body = []
    step = _nice_step(high - low, 7)
    tick = math.ceil(low / step) * step
    bottom = axis_y + len(rows) * row_height
    while tick <= high + 1e-9:
        x = x_of(tick)
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y}" y2="{bottom}" stroke="{GRID}"/>')
        body.append(_text(x, axis_y - 6, formatter(tick), size=10, anchor="middle", fill=MUTED))
        tick += step
    if reference is not None:
        x = x_of(reference)
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y}" y2="{bottom}" stroke="{MUTED}" '
            f'stroke-dasharray="4 3"><title>{escape(reference_label)}</title></line>'
        )
    for index, row in enumerate(rows):
        y = axis_y + index * row_height + row_height / 2
        body.append(_text(0, y + 4, _fit(row.label, label_width - 8), title=row.label))
        if row.estimate is None:
            body.append(_text(label_width, y + 4, "not enough renewals", size=11, fill=MUTED))
            continue
        if row.lower is not None and row.upper is not None:
            body.append(
                f'<line x1="{x_of(row.lower):.1f}" x2="{x_of(row.upper):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{row.color}" stroke-width="2.5" stroke-linecap="round"/>'
            )
        body.append(
            f'<circle cx="{x_of(row.estimate):.1f}" cy="{y:.1f}" r="5.5" fill="{row.color}">'
            f"<title>{escape(row.label)}: {escape(row.text or formatter(row.estimate))}</title></circle>"
        )
        body.append(_text(width, y + 4, row.text or formatter(row.estimate), anchor="end", size=11, fill=INK))
    return _svg(width, bottom + 6, body, label)


def paired_bars(
    first: float | None, second: float | None, colors: tuple[str, str], *, width: int = 150, titles=("", "")
) -> str:
    """Two thin bars (0..1) on top of each other: e.g. share of retained vs churned accounts."""
    body = []
    for index, (value, color, title) in enumerate(zip((first, second), colors, titles, strict=True)):
        y = 3 + index * 11
        body.append(f'<rect x="0" y="{y}" width="{width - 40}" height="8" rx="2" fill="{TRACK}"/>')
        if value is not None:
            filled = (width - 40) * max(0.0, min(1.0, value))
            body.append(
                f'<rect x="0" y="{y}" width="{filled:.1f}" height="8" rx="2" '
                f'fill="{color}"><title>{escape(title)}</title></rect>'
            )
            body.append(_text(width, y + 8, f"{value:.0%}", size=10, anchor="end", fill=INK))
    return _svg(width, 26, body, "share of retained and of churned accounts")
