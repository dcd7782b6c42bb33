"""Hand-written inline SVG charts: no plotting library, no script, no network.

Every function returns one `<svg>` element as markupsafe.Markup, sized in pixels with a viewBox so it
scales down on narrow screens. Elements are built by `_element`, which escapes every attribute value,
title and text: callers pass plain strings, and the templates insert the result as it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

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


# --- building blocks ------------------------------------------------------------------------------


def _element(name: str, attributes: dict[str, Any], text: str = "", *, title: str | None = None) -> Markup:
    """`<name a="v" ...>` with an optional tooltip and text, or `<name .../>` without; values escaped."""
    pairs = Markup("").join(Markup(' {}="{}"').format(key, value) for key, value in attributes.items())
    inner = (Markup("<title>{}</title>").format(title) if title else Markup("")) + text
    if not inner:
        return Markup("<{}{}/>").format(name, pairs)
    return Markup("<{0}{1}>{2}</{0}>").format(name, pairs, inner)


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
) -> Markup:
    attributes = {"x": f"{x:.1f}", "y": f"{y:.1f}", "font-size": size, "text-anchor": anchor, "fill": fill}
    return _element("text", {**attributes, "font-weight": weight}, text, title=title)


def _fit(text: str, width: float, size: int = 12) -> str:
    limit = max(4, int(width / (CHAR_WIDTH * size / 12)))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _svg(width: float, height: float, body: Sequence[Markup], label: str) -> Markup:
    attributes = {
        "xmlns": "http://www.w3.org/2000/svg",
        "viewBox": f"0 0 {width:.0f} {height:.0f}",
        "width": f"{width:.0f}",
        "height": f"{height:.0f}",
        "role": "img",
        "aria-label": label,
        "style": f"{FONT};max-width:100%;height:auto",
    }
    return _element("svg", attributes, Markup("").join(body))


def _nice_step(maximum: float, ticks: int = 5) -> float:
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10 * magnitude


def _vertical(x: float, y1: float, y2: float, stroke: str = GRID, **extra: Any) -> dict[str, Any]:
    """The attributes of a vertical line (grid lines, reference lines)."""
    return {"x1": f"{x:.1f}", "x2": f"{x:.1f}", "y1": y1, "y2": y2, "stroke": stroke, **extra}


def _axis(
    x_of: Callable[[float], float],
    first: float,
    last: float,
    step: float,
    span: tuple[float, float],
    label_y: float,
    formatter: Callable[[float], str],
) -> list[Markup]:
    """Vertical grid lines over `span` (y from, to), labelled above, from `first` by `step` to `last`."""
    marks = []
    tick = first
    while tick <= last + 1e-9:
        x = x_of(tick)
        marks.append(_element("line", _vertical(x, *span)))
        marks.append(_text(x, label_y, formatter(tick), size=10, anchor="middle", fill=MUTED))
        tick += step
    return marks


def _dot(x: float, y: float, color: str, title: str, radius: str = "5.5") -> Markup:
    return _element("circle", {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": radius, "fill": color}, title=title)


# --- bars -----------------------------------------------------------------------------------------


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
) -> Markup:
    """Horizontal bars on a track, one per row: label, bar, value text, and an optional note column."""
    bar_width = width - label_width - note_width - value_width
    body = []
    for index, row in enumerate(rows):
        y = index * row_height + 4
        share = 0.0 if max_value <= 0 else max(0.0, min(1.0, row.value / max_value))
        title = row.title or f"{row.label}: {row.text}"
        body.append(_text(0, y + 14, _fit(row.label, label_width - 8), title=row.label))
        bar = {"x": label_width, "y": y + 2, "width": bar_width, "height": row_height - 10, "rx": "3"}
        body.append(_element("rect", {**bar, "fill": TRACK}))
        filled = {**bar, "width": f"{bar_width * share:.1f}", "fill": row.color}
        body.append(_element("rect", filled, title=title))
        body.append(_text(label_width + bar_width + 8, y + 14, row.text, fill=INK, weight="600"))
        if row.note:
            body.append(_text(width, y + 14, row.note, anchor="end", fill=row.note_color, size=11))
    return _svg(width, len(rows) * row_height + 8, body, label)


def paired_bars(
    first: float | None, second: float | None, colors: tuple[str, str], *, width: int = 150, titles=("", "")
) -> Markup:
    """Two thin bars (0..1) on top of each other: e.g. share of retained vs churned accounts."""
    body = []
    for index, (value, color, title) in enumerate(zip((first, second), colors, titles, strict=True)):
        y = 3 + index * 11
        bar = {"x": "0", "y": y, "width": width - 40, "height": "8", "rx": "2"}
        body.append(_element("rect", {**bar, "fill": TRACK}))
        if value is not None:
            filled = (width - 40) * max(0.0, min(1.0, value))
            body.append(_element("rect", {**bar, "width": f"{filled:.1f}", "fill": color}, title=title))
            body.append(_text(width, y + 8, f"{value:.0%}", size=10, anchor="end", fill=INK))
    return _svg(width, 26, body, "share of retained and of churned accounts")


# --- time to milestone ----------------------------------------------------------------------------


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
) -> Markup:
    """Observed days from the previous milestone (median dot, bar to p75) against the target (tick)."""
    values = [v for row in rows for v in (row.median, row.p75, row.target, row.threshold) if v is not None]
    top = max([*values, 1.0]) * 1.1
    step = _nice_step(top)
    top = math.ceil(top / step) * step
    plot_width = width - label_width - 120
    axis_y = 16

    def x_of(days: float) -> float:
        return label_width + plot_width * max(0.0, days) / top

    body = _axis(x_of, 0.0, top, step, (axis_y, axis_y + len(rows) * row_height), axis_y - 5, "{:g}".format)
    for index, row in enumerate(rows):
        y = axis_y + index * row_height + row_height / 2
        body.append(_text(0, y + 4, _fit(row.label, label_width - 8), title=row.label))
        body += _pace_marks(row, x_of, y)
        summary = (
            f"target {row.target:g} d" if row.median is None else f"{row.median:g} d vs {row.target:g} d"
        )
        body.append(_text(width, y + 4, summary, anchor="end", size=11, fill=MUTED))
    return _svg(width, axis_y + len(rows) * row_height + 6, body, label)


def _pace_marks(row: PaceRow, x_of: Callable[[float], float], y: float) -> list[Markup]:
    """One row's median dot and bar to p75 (or a note), stall threshold and target."""
    marks = []
    if row.median is None:
        marks.append(_text(x_of(0) + 4, y + 4, "no completions yet", size=11, fill=MUTED))
    else:
        color = BAD if row.median > row.target else GOOD
        p75 = row.p75 if row.p75 is not None else row.median
        title = (
            f"{row.label}: median {row.median:g} d, p75 {p75:g} d, target {row.target:g} d "
            f"({row.timed} accounts)"
        )
        width = max(2.0, x_of(p75) - x_of(row.median))
        bar = {"x": f"{x_of(row.median):.1f}", "y": f"{y - 5:.1f}", "width": f"{width:.1f}", "height": "10"}
        bar |= {"rx": "5", "fill": color, "fill-opacity": "0.28"}
        marks.append(_element("rect", bar, title=title))
        marks.append(_dot(x_of(row.median), y, color, title))
    if row.threshold is not None and row.threshold != row.target:
        line = _vertical(x_of(row.threshold), f"{y - 9:.1f}", f"{y + 9:.1f}", WARN)
        line |= {"stroke-width": "2", "stroke-dasharray": "3 2"}
        marks.append(_element("line", line, title=f"stall threshold {row.threshold:g} d"))
    xt = x_of(row.target)
    target = {"d": f"M{xt:.1f} {y - 8:.1f} l5 8 l-5 8 l-5 -8 z", "fill": INK}
    marks.append(_element("path", target, title=f"target {row.target:g} d"))
    return marks


# --- shares ---------------------------------------------------------------------------------------


def stacked_share_rows(
    rows: Sequence[tuple[str, dict[str, int]]],
    categories: Sequence[str],
    colors: dict[str, str],
    *,
    label: str,
    width: int = 620,
    label_width: int = 120,
    row_height: int = 30,
) -> Markup:
    """One 100% bar per row, split by category, with the share printed where it fits."""
    bar_width = width - label_width - 60
    body = []
    for index, (row_label, counts) in enumerate(rows):
        y = index * row_height + 4
        total = sum(counts.values())
        body.append(_text(0, y + 16, _fit(row_label, label_width - 8), weight="600"))
        body.append(_text(width, y + 16, f"n={total:,}", anchor="end", size=11, fill=MUTED))
        x = float(label_width)
        for category in categories:
            count = counts.get(category, 0)
            if not total or not count:
                continue
            segment_width = bar_width * count / total
            title = f"{row_label}, {category}: {count} of {total} ({count / total:.0%})"
            bar = {"x": f"{x:.1f}", "y": y + 2, "width": f"{segment_width:.1f}", "height": row_height - 10}
            body.append(_element("rect", {**bar, "fill": colors.get(category, MUTED)}, title=title))
            if segment_width > 34:
                share = f"{count / total:.0%}"
                body.append(
                    _text(x + segment_width / 2, y + 16, share, size=11, anchor="middle", fill="#fff")
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
) -> Markup:
    """100% stacked columns (e.g. health bands per month) with an optional rate line (0..100%)."""
    left, right, top, bottom = 34, 44 if line else 10, 24 if line else 12, 38
    plot_width = width - left - right
    plot_height = height - top - bottom
    slot = plot_width / max(1, len(columns))
    column_width = min(46.0, slot * 0.7)
    body = []
    for share in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_height * (1 - share)
        grid = {"x1": left, "x2": left + plot_width, "y1": f"{y:.1f}", "y2": f"{y:.1f}", "stroke": GRID}
        body.append(_element("line", grid))
        body.append(_text(left - 6, y + 4, f"{share:.0%}", size=10, anchor="end", fill=MUTED))
    points = []
    for index, (column_label, counts) in enumerate(columns):
        x = left + slot * index + (slot - column_width) / 2
        body += _column(column_label, counts, categories, colors, x, column_width, top, plot_height)
        if line is not None and index < len(line) and line[index] is not None:
            points.append((x + column_width / 2, top + plot_height * (1 - float(line[index])), line[index]))
    if points:
        body += _rate_line(points, line_label)
        body.append(_text(width - 2, 12, line_label, size=10, anchor="end", fill=INK, weight="600"))
    return _svg(width, height, body, label)


def _column(
    column_label: str,
    counts: dict[str, int],
    categories: Sequence[str],
    colors: dict[str, str],
    x: float,
    column_width: float,
    top: float,
    plot_height: float,
) -> list[Markup]:
    """One 100% column, stacked bottom up in category order, with its label and count below."""
    total = sum(counts.values())
    y = float(top + plot_height)
    marks = []
    for category in categories:
        count = counts.get(category, 0)
        if not total or not count:
            continue
        h = plot_height * count / total
        y -= h
        title = f"{column_label}, {category}: {count} of {total} ({count / total:.0%})"
        box = {"x": f"{x:.1f}", "y": f"{y:.1f}", "width": f"{column_width:.1f}", "height": f"{h:.1f}"}
        marks.append(_element("rect", {**box, "fill": colors.get(category, MUTED)}, title=title))
    middle = x + column_width / 2
    marks.append(_text(middle, top + plot_height + 15, column_label, size=10, anchor="middle"))
    marks.append(_text(middle, top + plot_height + 28, f"n={total:,}", size=9, anchor="middle", fill=MUTED))
    return marks


def _rate_line(points: Sequence[tuple[float, float, float]], line_label: str) -> list[Markup]:
    path = " ".join(f"{'M' if i == 0 else 'L'}{px:.1f} {py:.1f}" for i, (px, py, _) in enumerate(points))
    marks = [_element("path", {"d": path, "fill": "none", "stroke": INK, "stroke-width": "2"})]
    for px, py, value in points:
        circle = {"cx": f"{px:.1f}", "cy": f"{py:.1f}", "r": "3.5", "fill": "#fff", "stroke": INK}
        marks.append(_element("circle", {**circle, "stroke-width": "2"}, title=f"{line_label}: {value:.0%}"))
    return marks


# --- intervals ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """A reference tick on one row of a chart: a value, its color and what it means."""

    value: float
    color: str
    title: str
    dashed: bool = False


@dataclass(frozen=True)
class IntervalRow:
    label: str
    estimate: float | None
    lower: float | None
    upper: float | None
    color: str
    text: str = ""
    marks: tuple[Mark, ...] = ()  # row-specific reference ticks (e.g. an experiment's thresholds)


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
) -> Markup:
    """A forest plot: estimate dots with interval whiskers on a shared axis, and a reference line."""
    plot_width = width - label_width - text_width
    axis_y = 18

    def x_of(value: float) -> float:
        return label_width + plot_width * (min(max(value, low), high) - low) / (high - low)

    step = _nice_step(high - low, 7)
    bottom = axis_y + len(rows) * row_height
    body = _axis(x_of, math.ceil(low / step) * step, high, step, (axis_y, bottom), axis_y - 6, formatter)
    if reference is not None:
        line = _vertical(x_of(reference), axis_y, bottom, MUTED, **{"stroke-dasharray": "4 3"})
        body.append(_element("line", line, title=reference_label))
    for index, row in enumerate(rows):
        y = axis_y + index * row_height + row_height / 2
        body.append(_text(0, y + 4, _fit(row.label, label_width - 8), title=row.label))
        body += [_tick(x_of(mark.value), y, mark) for mark in row.marks]
        if row.estimate is None:
            body.append(_text(label_width, y + 4, row.text or "not enough data", size=11, fill=MUTED))
            continue
        if row.lower is not None and row.upper is not None:
            whisker = {"x1": f"{x_of(row.lower):.1f}", "x2": f"{x_of(row.upper):.1f}", "y1": f"{y:.1f}"}
            whisker |= {
                "y2": f"{y:.1f}",
                "stroke": row.color,
                "stroke-width": "2.5",
                "stroke-linecap": "round",
            }
            body.append(_element("line", whisker))
        text = row.text or formatter(row.estimate)
        body.append(_dot(x_of(row.estimate), y, row.color, f"{row.label}: {text}"))
        body.append(_text(width, y + 4, text, anchor="end", size=11, fill=INK))
    return _svg(width, bottom + 6, body, label)


def _tick(x: float, y: float, mark: Mark) -> Markup:
    line = _vertical(x, f"{y - 9:.1f}", f"{y + 9:.1f}", mark.color, **{"stroke-width": "2"})
    if mark.dashed:
        line["stroke-dasharray"] = "3 2"
    return _element("line", line, title=mark.title)


# --- grouped columns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    value: float | None  # 0..1, None: no accounts in the group
    color: str
    title: str
    text: str = ""


def grouped_columns(
    groups: Sequence[tuple[str, Sequence[Column]]],
    *,
    label: str,
    width: int = 620,
    height: int = 230,
) -> Markup:
    """Columns (0..100%) side by side within each group, groups labelled below: e.g. the retention of
    each velocity quartile per milestone."""
    left, right, top, bottom = 34, 6, 14, 34
    plot_width = width - left - right
    plot_height = height - top - bottom
    body = []
    for share in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_height * (1 - share)
        grid = {"x1": left, "x2": left + plot_width, "y1": f"{y:.1f}", "y2": f"{y:.1f}", "stroke": GRID}
        body.append(_element("line", grid))
        body.append(_text(left - 6, y + 4, f"{share:.0%}", size=10, anchor="end", fill=MUTED))
    slot = plot_width / max(1, len(groups))
    for index, (group_label, columns) in enumerate(groups):
        x0 = left + slot * index + slot * 0.08
        column_width = slot * 0.84 / max(1, len(columns))
        for position, column in enumerate(columns):
            body += _group_column(column, x0 + column_width * position, column_width, top, plot_height)
        middle = left + slot * index + slot / 2
        body.append(
            _text(
                middle,
                height - bottom + 16,
                _fit(group_label, slot - 4, 11),
                size=11,
                anchor="middle",
                title=group_label,
            )
        )
    return _svg(width, height, body, label)


def _group_column(column: Column, x: float, width: float, top: float, plot_height: float) -> list[Markup]:
    if column.value is None:
        return []
    h = plot_height * max(0.0, min(1.0, column.value))
    y = top + plot_height - h
    box = {"x": f"{x + 1:.1f}", "y": f"{y:.1f}", "width": f"{max(1.0, width - 2):.1f}", "height": f"{h:.1f}"}
    marks = [_element("rect", {**box, "fill": column.color}, title=column.title)]
    if column.text and width >= 22:
        marks.append(_text(x + width / 2, y - 3, column.text, size=9, anchor="middle", fill=INK))
    return marks


# --- counts over time -----------------------------------------------------------------------------


def stacked_counts(
    columns: Sequence[tuple[str, dict[str, int]]],
    categories: Sequence[str],
    colors: dict[str, str],
    *,
    label: str,
    width: int = 1150,
    height: int = 260,
) -> Markup:
    """Stacked columns of counts (e.g. live accounts by band per week) on a shared count axis; every
    k-th column labelled below so that labels never overlap."""
    left, right, top, bottom = 46, 8, 12, 26
    plot_width, plot_height = width - left - right, height - top - bottom
    highest = max([sum(counts.values()) for _, counts in columns] + [1])
    step = _nice_step(highest, 4)
    ceiling = math.ceil(highest / step) * step
    body = []
    tick = 0.0
    while tick <= ceiling + 1e-9:
        y = top + plot_height * (1 - tick / ceiling)
        grid = {"x1": left, "x2": left + plot_width, "y1": f"{y:.1f}", "y2": f"{y:.1f}", "stroke": GRID}
        body += [
            _element("line", grid),
            _text(left - 6, y + 4, f"{tick:,.0f}", size=10, anchor="end", fill=MUTED),
        ]
        tick += step
    slot = plot_width / max(1, len(columns))
    every = max(1, math.ceil(len(columns) * 70 / plot_width))  # a label needs about 70 px
    for index, (column_label, counts) in enumerate(columns):
        x = left + slot * index + slot * 0.1
        body += _count_column(
            column_label, counts, categories, colors, x, slot * 0.8, top + plot_height, ceiling, plot_height
        )
        if index % every == 0:
            body.append(_text(x + slot * 0.4, height - 8, column_label, size=10, anchor="middle", fill=MUTED))
    return _svg(width, height, body, label)


def _count_column(
    column_label: str,
    counts: dict[str, int],
    categories: Sequence[str],
    colors: dict[str, str],
    x: float,
    column_width: float,
    baseline: float,
    ceiling: float,
    plot_height: float,
) -> list[Markup]:
    """One column of counts stacked bottom up in category order, each part titled with its count."""
    total = sum(counts.values())
    y = baseline
    marks = []
    for category in categories:
        value = counts.get(category, 0)
        if not value:
            continue
        h = plot_height * value / ceiling
        y -= h
        title = f"{column_label}, {category.replace('_', ' ')}: {value:,} of {total:,}"
        box = {
            "x": f"{x:.1f}",
            "y": f"{y:.1f}",
            "width": f"{max(1.0, column_width):.1f}",
            "height": f"{h:.1f}",
        }
        marks.append(_element("rect", {**box, "fill": colors.get(category, MUTED)}, title=title))
    return marks


def diverging_columns(
    columns: Sequence[tuple[str, int, int]],
    *,
    colors: tuple[str, str],
    label: str,
    width: int = 1150,
    height: int = 200,
) -> Markup:
    """Per column, a count above the axis (e.g. accounts moving up a band) and one below (moving
    down), on a shared scale; every k-th column labelled."""
    left, right, top, bottom = 46, 8, 10, 24
    plot_width, plot_height = width - left - right, height - top - bottom
    highest = max([max(up, down) for _, up, down in columns] + [1])
    step = _nice_step(highest, 2)
    ceiling = math.ceil(highest / step) * step
    middle = top + plot_height / 2
    scale = (plot_height / 2) / ceiling
    body = []
    for tick in (-ceiling, -ceiling / 2, 0.0, ceiling / 2, ceiling):
        y = middle - tick * scale
        stroke = MUTED if tick == 0 else GRID
        grid = {"x1": left, "x2": left + plot_width, "y1": f"{y:.1f}", "y2": f"{y:.1f}", "stroke": stroke}
        body += [
            _element("line", grid),
            _text(left - 6, y + 4, f"{abs(tick):,.0f}", size=10, anchor="end", fill=MUTED),
        ]
    slot = plot_width / max(1, len(columns))
    every = max(1, math.ceil(len(columns) * 70 / plot_width))
    for index, (column_label, up, down) in enumerate(columns):
        x = left + slot * index + slot * 0.15
        w = f"{max(1.0, slot * 0.7):.1f}"
        body.append(
            _element(
                "rect",
                {
                    "x": f"{x:.1f}",
                    "y": f"{middle - up * scale:.1f}",
                    "width": w,
                    "height": f"{up * scale:.1f}",
                    "fill": colors[0],
                },
                title=f"{column_label}: {up:,} up",
            )
        )
        body.append(
            _element(
                "rect",
                {
                    "x": f"{x:.1f}",
                    "y": f"{middle:.1f}",
                    "width": w,
                    "height": f"{down * scale:.1f}",
                    "fill": colors[1],
                },
                title=f"{column_label}: {down:,} down",
            )
        )
        if index % every == 0:
            body.append(
                _text(x + slot * 0.35, height - 8, column_label, size=10, anchor="middle", fill=MUTED)
            )
    return _svg(width, height, body, label)
