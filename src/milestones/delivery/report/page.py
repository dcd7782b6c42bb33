"""The report page: one self-contained HTML document (inline CSS and SVG, no script, no network)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from milestones.delivery.report import charts
from milestones.delivery.report.data import CANDIDATES_PER_SEGMENT, STALLED_ACCOUNTS_SHOWN, ReportData

SEGMENT_COLORS = ["#1f6fb2", "#1b998b", "#7b5ea7", "#c26a2e", "#5f6b7a"]
BAND_COLORS = {"critical": "#d1495b", "at_risk": "#f0a202", "steady": "#6fa8dc", "healthy": "#2e9e6a"}
EXTRA_BAND_COLORS = ["#8e7cc3", "#76a5af", "#b4a7d6", "#a4c2f4"]
SCORE_COLORS = {"health": "#1f6fb2", "engagement": "#9aa5b1"}
RETAINED, CHURNED = "#2e9e6a", "#d1495b"

SECTIONS = [
    ("funnel", "Milestone funnel"),
    ("pace", "Time to milestone"),
    ("stalled", "Stalled accounts"),
    ("health", "Health bands"),
    ("backtest", "Health-score backtest"),
    ("candidates", "Milestone candidates"),
]

CSS = """
:root { --ink:#1d2633; --muted:#5f6b7a; --line:#e3e8ef; --bg:#f5f7fa; --card:#fff; --accent:#1f6fb2;
        --bad:#d1495b; --good:#2e9e6a; --warn:#e39b17; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif; }
header { background:#14263d; color:#fff; padding:28px 40px 22px; }
header h1 { margin:0 0 4px; font-size:26px; font-weight:650; letter-spacing:-0.01em; }
header .meta { color:#b9c6d6; font-size:13px; }
nav { position:sticky; top:0; z-index:2; background:#fff; border-bottom:1px solid var(--line);
      padding:0 40px; display:flex; gap:22px; flex-wrap:wrap; }
nav a { color:var(--muted); text-decoration:none; font-size:13px; font-weight:600; padding:11px 0;
        border-bottom:2px solid transparent; }
nav a:hover { color:var(--accent); border-bottom-color:var(--accent); }
main { max-width:1280px; margin:0 auto; padding:24px 40px 48px; }
section { margin:0 0 34px; }
section > h2 { font-size:19px; margin:0 0 4px; font-weight:650; }
p.lede { margin:0 0 14px; color:var(--muted); max-width:980px; }
p.takeaway { margin:0 0 16px; padding:10px 14px; background:#eaf2fb; border-left:4px solid var(--accent);
             border-radius:4px; max-width:980px; }
.kpis { display:grid; grid-template-columns:repeat(auto-fit,minmax(180px,1fr)); gap:14px; margin:0 0 30px; }
.kpi { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
.kpi .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.05em;
              font-weight:600; }
.kpi .value { font-size:28px; font-weight:700; margin-top:2px; }
.kpi .sub { color:var(--muted); font-size:12px; }
.kpi.alert .value { color:var(--bad); }
.grid { display:grid; grid-template-columns:repeat(auto-fit,minmax(560px,1fr)); gap:16px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 18px; }
.card h3 { margin:0 0 10px; font-size:15px; display:flex; justify-content:space-between;
           align-items:baseline; gap:12px; }
.card.wide { grid-column:1 / -1; }
.card h3 small { color:var(--muted); font-weight:500; font-size:12px; }
.legend { display:flex; gap:16px; flex-wrap:wrap; color:var(--muted); font-size:12px; margin:0 0 10px; }
.legend span.key { display:inline-block; width:11px; height:11px; border-radius:2px; margin-right:5px;
                   vertical-align:-1px; }
table { width:100%; border-collapse:collapse; background:var(--card); font-size:13px; }
th { text-align:left; font-size:11px; text-transform:uppercase; letter-spacing:.05em; color:var(--muted);
     padding:9px 10px; border-bottom:2px solid var(--line); background:#fafbfd; }
td { padding:9px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
td.num, th.num { text-align:right; white-space:nowrap; font-variant-numeric:tabular-nums; }
td .sub { display:block; color:var(--muted); font-size:12px; }
td.playbook { color:#34404f; font-size:12.5px; max-width:520px; }
.table-card { padding:0; overflow:hidden; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:11px; font-weight:650; }
.badge.bad { background:#fbe3e6; color:#a3243a; }
.badge.seg { background:#eef1f5; color:#34404f; }
.badge.ok { background:#e3f4ec; color:#1f7a50; }
.empty { padding:18px; color:var(--muted); background:var(--card); border:1px dashed #c9d1db;
          border-radius:10px; }
footer { color:var(--muted); font-size:12px; border-top:1px solid var(--line); padding:16px 40px 30px;
         max-width:1280px; margin:0 auto; }
@media print { nav { display:none; } body { background:#fff; } }
"""


def render(data: ReportData, *, source: str) -> str:
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    as_of = data.as_of.isoformat() if data.as_of else "unknown"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Milestone report, as of {escape(as_of)}</title>",
        f"<style>{CSS}</style></head><body>",
        "<header><h1>Customer milestones</h1>",
        f'<div class="meta">As of <strong>{escape(as_of)}</strong> · generated {escape(generated)} · '
        f"{escape(source)}</div></header>",
        "<nav>" + "".join(f'<a href="#{key}">{escape(title)}</a>' for key, title in SECTIONS) + "</nav>",
        "<main>",
        _summary(data),
        _funnel(data),
        _pace(data),
        _stalled(data),
        _health(data),
        _backtest(data),
        _candidates(data),
        "</main>",
        "<footer>Read from the marts of the milestone warehouse: dim_account_milestone_status, "
        "mart_segment_milestone_baselines, mart_intervention_queue, fct_renewal_health_scores, "
        "mart_health_score_backtest(_bands), mart_milestone_candidates and the CRM sync snapshot. "
        "Days are whole UTC days measured to the as-of date.</footer>",
        "</body></html>",
    ]
    return "\n".join(parts)


# --- sections -------------------------------------------------------------------------------------


def _section(key: str, lede: str, body: str, takeaway: str = "") -> str:
    title = dict(SECTIONS)[key]
    takeaway_html = f'<p class="takeaway">{takeaway}</p>' if takeaway else ""
    return (
        f'<section id="{key}"><h2>{escape(title)}</h2><p class="lede">{escape(lede)}</p>'
        f"{takeaway_html}{body}</section>"
    )


def _not_built(key: str, *tables: str) -> str:
    names = ", ".join(f"<code>{escape(table)}</code>" for table in tables)
    return (
        f'<section id="{key}"><h2>{escape(dict(SECTIONS)[key])}</h2>'
        f'<div class="empty">Not built: {names} is not in the warehouse yet. '
        "Run <code>milestones build</code> to fill this section.</div></section>"
    )


def _summary(data: ReportData) -> str:
    summary = data.summary
    if summary is None:
        missing = "<code>dim_account_milestone_status</code>"
        return f'<div class="empty kpis">Not built: {missing} is not in the warehouse.</div>'
    accounts = summary["accounts"]
    completed_share = summary["completed"] / summary["total"] if summary["total"] else 0
    counts = summary["accounts_by_segment"]
    by_segment = " · ".join(f"{segment} {counts[segment]}" for segment in _ordered(data, counts))
    cards = [
        _kpi("Accounts", f"{accounts:,}", by_segment),
        _kpi(
            "Milestones completed",
            f"{completed_share:.0%}",
            f"{summary['completed']:,} of {summary['total']:,} across all accounts",
        ),
        _stalled_kpi(data, accounts),
    ]
    if summary["has_health"]:
        cards.append(
            _kpi(
                "Median health score",
                f"{summary['median_health']:.0f}" if summary["median_health"] is not None else "n/a",
                f"{summary['at_risk']:,} accounts critical or at risk",
            )
        )
    cards.append(_kpi("ARR", _money(summary["arr"]), "annual recurring revenue of these accounts"))
    return '<div class="kpis">' + "".join(cards) + "</div>"


def _stalled_kpi(data: ReportData, accounts: int) -> str:
    """The intervention queue's count (customers to help now) when built, else the customer record's."""
    if data.stalled_accounts is not None:
        stalled, arr, note = data.stalled_total, data.stalled_arr, "churned accounts left out"
    else:
        stalled, arr, note = data.summary["stalled"], data.summary["stalled_arr"], "from the customer record"
    share = stalled / accounts if accounts else 0
    return _kpi(
        "Stalled accounts", f"{stalled:,}", f"{share:.0%} · {_money(arr)} ARR waiting · {note}", alert=True
    )


def _kpi(label: str, value: str, sub: str, *, alert: bool = False) -> str:
    css = "kpi alert" if alert else "kpi"
    return (
        f'<div class="{css}"><div class="label">{escape(label)}</div><div class="value">{escape(value)}</div>'
        f'<div class="sub">{escape(sub)}</div></div>'
    )


def _funnel(data: ReportData) -> str:
    if data.milestones is None:
        return _not_built("funnel", "mart_segment_milestone_baselines")
    cards = []
    drops = []
    for index, segment in enumerate(_ordered(data, data.milestones)):
        rows = data.milestones[segment]
        color = SEGMENT_COLORS[index % len(SEGMENT_COLORS)]
        bars = []
        previous_rate = None
        for row in rows:
            rate = float(row["completion_rate"] or 0)
            stalled = data.stalled_by_milestone.get((segment, row["milestone_id"]), 0)
            bars.append(
                charts.BarRow(
                    label=f"{row['sequence']}. {row['milestone_name']}",
                    value=rate,
                    text=f"{rate:.0%}  ({row['accounts_reached']}/{row['accounts_total']})",
                    color=color,
                    note=f"{stalled} stalled" if stalled else "",
                )
            )
            if previous_rate is not None:
                drops.append((previous_rate - rate, segment, row["milestone_name"], rate, previous_rate))
            previous_rate = rate
        total = rows[0]["accounts_total"] if rows else 0
        cards.append(
            f'<div class="card"><h3>{escape(segment.title())}<small>{total} accounts · '
            f"{len(rows)} milestones</small></h3>"
            + charts.bar_rows(bars, label=f"Milestone completion, {segment}")
            + "</div>"
        )
    takeaway = ""
    if drops:
        _, segment, name, rate, before = max(drops)
        takeaway = (
            f"Biggest drop-off: <strong>{escape(segment)}</strong> accounts reaching "
            f"<strong>{escape(name)}</strong>: {rate:.0%}, after {before:.0%} on the step before."
        )
    return _section(
        "funnel",
        "Share of each segment's accounts that completed each milestone, in sequence order; "
        "red notes count the accounts stalled on that milestone right now.",
        '<div class="grid">' + "".join(cards) + "</div>",
        takeaway,
    )


def _pace(data: ReportData) -> str:
    if data.milestones is None:
        return _not_built("pace", "mart_segment_milestone_baselines")
    cards = []
    late = []
    for segment in _ordered(data, data.milestones):
        rows = []
        for row in data.milestones[segment]:
            median = _float(row["median_days_from_previous"])
            target = float(row["target_days"] or 0)
            if median is not None and median > target:
                late.append(f"{row['milestone_name']} ({segment}: {median:g} d vs {target:g} d)")
            rows.append(
                charts.PaceRow(
                    label=f"{row['sequence']}. {row['milestone_name']}",
                    median=median,
                    p75=_float(row["p75_days_from_previous"]),
                    target=target,
                    threshold=_float(row["stall_threshold_days"]),
                    timed=int(row["accounts_timed"] or 0),
                )
            )
        cards.append(
            f'<div class="card"><h3>{escape(segment.title())}'
            "<small>days from the previous milestone</small></h3>"
            + charts.pace_rows(rows, label=f"Days to each milestone against target, {segment}")
            + "</div>"
        )
    legend = (
        '<div class="legend">'
        f'<span><span class="key" style="background:{charts.GOOD}"></span>median on target</span>'
        f'<span><span class="key" style="background:{charts.BAD}"></span>median slower than target</span>'
        '<span><span class="key" style="background:#c9d1db"></span>bar: median to 75th percentile</span>'
        f'<span><span class="key" style="background:{charts.INK}"></span>target_days (seeded)</span>'
        f'<span><span class="key" style="background:{charts.WARN}"></span>'
        "stall threshold when peers set it</span>"
        "</div>"
    )
    if late:
        takeaway = f"{len(late)} milestone(s) slower than target at the median: "
        takeaway += escape("; ".join(late[:4])) + (" …" if len(late) > 4 else ".")
    else:
        takeaway = "Every milestone is reached within its target at the median."
    return _section(
        "pace",
        "Observed whole days from the previous milestone (signup for the first) among the accounts that "
        "completed it, against the seeded target.",
        legend + '<div class="grid">' + "".join(cards) + "</div>",
        takeaway,
    )


def _stalled(data: ReportData) -> str:
    if data.stalled_accounts is None:
        return _not_built("stalled", "mart_intervention_queue")
    if not data.stalled_accounts:
        return _section(
            "stalled", "Accounts past their milestone's stall threshold.", "", "No account is stalled."
        )
    rows = []
    for account in data.stalled_accounts:
        rows.append(
            "<tr>"
            f'<td class="num">{account["priority_rank"]}</td>'
            f"<td><strong>{escape(str(account['account_name']))}</strong>"
            f'<span class="sub">{escape(str(account["owner"] or "no owner"))}</span></td>'
            f'<td><span class="badge seg">{escape(str(account["segment"]))}</span></td>'
            f'<td class="num">{_money(float(account["arr"] or 0))}</td>'
            f"<td>{escape(str(account['milestone_name']))}</td>"
            f'<td class="num">{account["days_waiting"]} d<span class="sub">threshold '
            f"{account['stall_threshold_days']} d</span></td>"
            f'<td class="num"><span class="badge bad">+{account["days_overdue"]} d</span></td>'
            f'<td class="playbook">{escape(str(account["playbook"]))}</td>'
            "</tr>"
        )
    table = (
        '<div class="card table-card"><table><thead><tr>'
        '<th class="num">#</th><th>Account · owner</th><th>Segment</th><th class="num">ARR</th>'
        '<th>Stuck on</th><th class="num">Waiting</th><th class="num">Overdue</th><th>Playbook</th>'
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
    )
    top_milestones = sorted(data.stalled_by_milestone.items(), key=lambda item: -item[1])[:3]
    names = _milestone_names(data)
    common = ", ".join(
        f"{escape(names.get(key, key[1]))} ({escape(key[0])}, {count})" for key, count in top_milestones
    )
    shown = min(STALLED_ACCOUNTS_SHOWN, data.stalled_total)
    takeaway = (
        f"<strong>{data.stalled_total}</strong> customers are stalled (churned accounts left out). "
        f"Most common: {common}. "
        f"The {shown} most urgent (ARR and lateness) are below; the full queue is "
        "<code>mart_intervention_queue</code>."
    )
    return _section(
        "stalled",
        "Each stalled account with the milestone it is stuck on, how long it has waited against the "
        "threshold, and the playbook to run now.",
        table,
        takeaway,
    )


def _health(data: ReportData) -> str:
    if data.bands_now is None and data.bands_by_month is None:
        return _not_built("health", "dim_account_milestone_status.health_band", "fct_renewal_health_scores")
    colors = _band_colors(data.band_order)
    keys = [
        f'<span><span class="key" style="background:{colors[band]}"></span>{escape(_words(band))}</span>'
        for band in data.band_order
    ]
    legend = '<div class="legend">' + "".join(keys) + "</div>"
    cards = []
    takeaway = ""
    if data.bands_now is not None:
        order = ["all segments", *[s for s in _ordered(data, data.bands_now) if s != "all segments"]]
        rows = [(segment, dict(data.bands_now[segment])) for segment in order if segment in data.bands_now]
        cards.append(
            '<div class="card"><h3>Now<small>accounts by band on the as-of date</small></h3>'
            + charts.stacked_share_rows(rows, data.band_order, colors, label="Health bands by segment now")
            + "</div>"
        )
        everyone = data.bands_now.get("all segments", Counter())
        worst = data.band_order[:2]
        count = sum(everyone.get(band, 0) for band in worst)
        total = sum(everyone.values())
        if total:
            takeaway = (
                f"{count} of {total} accounts ({count / total:.0%}) are "
                f"{' or '.join(escape(b.replace('_', ' ')) for b in worst)} today."
            )
    if data.bands_by_build:
        columns = [(label, dict(counts)) for label, counts in data.bands_by_build]
        cards.append(
            '<div class="card"><h3>Over time<small>all accounts, per build (as-of date)</small></h3>'
            + charts.stacked_columns(columns, data.band_order, colors, label="Health bands per build")
            + "</div>"
        )
    if data.bands_by_month:
        columns = [(label, dict(counts)) for label, counts, _ in data.bands_by_month]
        churn = [rate for _, _, rate in data.bands_by_month]
        cards.append(
            '<div class="card"><h3>Over time'
            "<small>accounts scored before their renewal, by month scored</small></h3>"
            + charts.stacked_columns(
                columns,
                data.band_order,
                colors,
                line=churn,
                line_label="— churned at renewal",
                label="Health bands before renewal by month, with churn rate",
            )
            + "</div>"
        )
    elif "bands_by_month" in data.missing:
        cards.append('<div class="empty">Not built: <code>fct_renewal_health_scores</code>.</div>')
    return _section(
        "health",
        "The milestone-weighted health score in bands. Over time: the band mix of accounts as they were "
        "scored before their renewal, with the share that then churned (line).",
        legend + '<div class="grid">' + "".join(cards) + "</div>",
        takeaway,
    )


def _backtest(data: ReportData) -> str:
    if data.backtest is None:
        return _not_built("backtest", "mart_health_score_backtest")
    by_segment: dict[str, dict[str, dict[str, Any]]] = {}
    for row in data.backtest:
        by_segment.setdefault(row["segment"], {})[row["score_name"]] = row
    segments = sorted(
        by_segment, key=lambda s: (s != "all", data.segments.index(s) if s in data.segments else 99)
    )
    interval_rows = []
    for segment in segments:
        for score in sorted(by_segment[segment], key=lambda name: (name != "health", name)):
            row = by_segment[segment][score]
            auc = _float(row["auc"])
            interval_rows.append(
                charts.IntervalRow(
                    label=f"{'All segments' if segment == 'all' else segment.title()} · {score}",
                    estimate=auc,
                    lower=_float(row["auc_ci_lower"]),
                    upper=_float(row["auc_ci_upper"]),
                    color=SCORE_COLORS.get(score, charts.ACCENT),
                    text=(
                        f"AUC {auc:.2f} · {row['renewals_scored']} renewals, {row['churned']} churned"
                        if auc is not None
                        else ""
                    ),
                )
            )
    chart = charts.interval_rows(interval_rows, label="Backtest AUC with confidence intervals", width=1150)
    scope = f" ({data.backtest_scope.replace('_', ' ')})" if data.backtest_scope else ""
    cards = [
        f'<div class="card wide"><h3>How well each score told renewals from churns{escape(scope)}'
        "<small>AUC with 95% interval · 0.5 = coin flip</small></h3>"
        '<div class="legend">'
        + "".join(
            f'<span><span class="key" style="background:{color}"></span>{escape(name)} score</span>'
            for name, color in SCORE_COLORS.items()
        )
        + "</div>"
        + chart
        + "</div>"
    ]
    if data.backtest_bands:
        colors = _band_colors(data.band_order)
        for score in sorted(data.backtest_bands, key=lambda name: (name != "health", name)):
            rows = data.backtest_bands[score]
            bars = [
                charts.BarRow(
                    label=str(row["band"]).replace("_", " "),
                    value=float(row["churn_rate"] or 0),
                    text=f"{float(row['churn_rate'] or 0):.0%} churned",
                    color=colors.get(row["band"], charts.ACCENT),
                    note=f"n={row['renewals_scored']}",
                    note_color=charts.MUTED,
                )
                for row in rows
            ]
            cards.append(
                f'<div class="card"><h3>Churn at renewal by {escape(score)} band'
                "<small>all segments</small></h3>"
                + charts.bar_rows(bars, label=f"Churn rate by {score} band", label_width=120)
                + "</div>"
            )
    overall = by_segment.get("all", {})
    takeaway = ""
    health, engagement = overall.get("health"), overall.get("engagement")
    if health and engagement and health["auc"] is not None and engagement["auc"] is not None:
        better = float(health["auc"]) > float(engagement["auc"])
        takeaway = (
            f"Scored {_lead_time(health, by_segment)} before each renewal from what was known then, "
            f"the milestone-weighted score reaches AUC <strong>{float(health['auc']):.2f}</strong> against "
            f"<strong>{float(engagement['auc']):.2f}</strong> for engagement alone: milestones "
            + ("predict churn better." if better else "do not beat engagement here.")
        )
    return _section(
        "backtest",
        "Point-in-time backtest: each renewal scored from events before the scoring date only; the AUC is "
        "the chance that a renewed account scored above a churned one.",
        '<div class="grid">' + "".join(cards) + "</div>",
        takeaway,
    )


def _candidates(data: ReportData) -> str:
    if data.candidates is None:
        return _not_built("candidates", "mart_milestone_candidates")
    if not data.candidates:
        return _section(
            "candidates",
            "Early actions that separate retained from churned accounts.",
            '<div class="empty">No candidate has enough accounts behind it yet.</div>',
        )
    cards = []
    tops = []
    for segment in _ordered(data, {segment: True for segment in [*data.segments, *data.candidates]}):
        candidates = data.candidates.get(segment, [])
        if not candidates:
            cards.append(
                f'<div class="card"><h3>{escape(segment.title())}</h3><div class="empty">No early action has '
                "enough retained and churned accounts behind it to rank yet.</div></div>"
            )
            continue
        used = data.milestone_events.get(segment, set())
        rows = [_candidate_row(position, row, used) for position, row in enumerate(candidates, start=1)]
        tops.append(f"{escape(segment)}: <strong>{escape(str(candidates[0]['event_name']))}</strong>")
        cards.append(
            f'<div class="card table-card"><h3 style="padding:14px 16px 0">{escape(segment.title())}'
            f"<small>top {CANDIDATES_PER_SEGMENT}</small></h3>"
            "<table><thead><tr><th class='num'>#</th><th>Early action</th><th>Retained vs churned</th>"
            "<th class='num'>Lift</th><th class='num'>z</th></tr></thead>"
            "<tbody>" + "".join(rows) + "</tbody></table></div>"
        )
    legend = (
        '<div class="legend">'
        f'<span><span class="key" style="background:{RETAINED}"></span>'
        "share of retained accounts that did it</span>"
        f'<span><span class="key" style="background:{CHURNED}"></span>'
        "share of churned accounts that did it</span>"
        "</div>"
    )
    return _section(
        "candidates",
        "Retention analysis run backward: early actions (an event at least N times within the window after "
        "signup) ranked by how strongly they separate retained from churned accounts (two-proportion z).",
        legend + '<div class="grid">' + "".join(cards) + "</div>",
        "Strongest early signal per segment: " + "; ".join(tops) + "." if tops else "",
    )


def _candidate_row(position: int, row: dict[str, Any], used: set[str]) -> str:
    window = row.get("window_days", 90)
    bars = charts.paired_bars(
        _float(row["share_retained"]),
        _float(row["share_churned"]),
        (RETAINED, CHURNED),
        titles=("share of retained accounts", "share of churned accounts"),
    )
    badge = '<span class="badge ok">in a milestone</span>' if row["event_name"] in used else ""
    lift = _float(row["lift"])
    lift_text = "only retained" if lift is None else f"{lift:.1f}x"
    return (
        "<tr>"
        f'<td class="num">{position}</td>'
        f"<td><strong>{escape(str(row['event_name']))}</strong> {badge}"
        f'<span class="sub">at least {row["occurrence_threshold"]} times '
        f"in the first {window} days</span></td>"
        f"<td>{bars}</td>"
        f'<td class="num">{lift_text}</td>'
        f'<td class="num">{_float(row["z_score"]) or 0:.1f}</td>'
        "</tr>"
    )


# --- helpers --------------------------------------------------------------------------------------


def _ordered(data: ReportData, keyed: dict[str, Any]) -> list[str]:
    known = [segment for segment in data.segments if segment in keyed]
    return known + sorted(segment for segment in keyed if segment not in known)


def _milestone_names(data: ReportData) -> dict[tuple[str, str], str]:
    names = {}
    for segment, rows in (data.milestones or {}).items():
        for row in rows:
            names[(segment, row["milestone_id"])] = row["milestone_name"]
    return names


def _words(identifier: str) -> str:
    return identifier.replace("_", " ")


def _band_colors(order: Sequence[str]) -> dict[str, str]:
    colors = {}
    extra = iter(EXTRA_BAND_COLORS * 4)
    for band in order:
        colors[band] = BAND_COLORS.get(band) or next(extra)
    return colors


def _money(amount: float) -> str:
    if amount >= 1_000_000:
        return f"${amount / 1_000_000:.1f}M"
    if amount >= 10_000:
        return f"${amount / 1_000:.0f}k"
    if amount >= 1_000:
        return f"${amount / 1_000:.1f}k"
    return f"${amount:,.0f}"


def _float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if number != number else number  # NaN


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
