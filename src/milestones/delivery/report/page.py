"""The report page: one self-contained HTML document (inline CSS and SVG, no script, no network).

The markup lives in Jinja templates (templates/, autoescaped: every value is escaped unless it is
markupsafe.Markup, like the SVG of charts.py). customers.py and analyses.py turn what data.py read
into what the templates show: one view per section (None when its mart is not built).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from milestones.delivery.report import analyses, customers
from milestones.delivery.report.data import ReportData
from milestones.delivery.report.formats import TEMPLATE_COLORS, count, fine_pct, money, pct, words

# key -> title, in page order (the key is the section's id and its template's name)
SECTIONS = {
    "funnel": "Milestone funnel",
    "pace": "Time to milestone",
    "stalled": "Stalled accounts",
    "health": "Health bands",
    "history": "Over time",
    "cohorts": "Onboarding cohorts",
    "retention_depth": "Retention by milestone depth",
    "retention_velocity": "Retention by milestone velocity",
    "experiments": "Experiments",
    "backtest": "Health-score backtest",
    "candidates": "Milestone candidates",
    "contract": "Event contract",
}

VIEWS = {
    "funnel": customers.funnel,
    "pace": customers.pace,
    "stalled": customers.stalled,
    "health": customers.health,
    "history": customers.history,
    "cohorts": analyses.cohorts,
    "retention_depth": analyses.retention_depth,
    "retention_velocity": analyses.retention_velocity,
    "experiments": analyses.experiments,
    "backtest": analyses.backtest,
    "candidates": analyses.candidates,
    "contract": analyses.contract,
}


def render(data: ReportData, *, source: str) -> str:
    """The page; `source` names the warehouse for the header (a kind and schema, never a file path)."""
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            as_of=data.as_of.isoformat() if data.as_of else "unknown",
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            source=source,
            summary=customers.summary(data),
            history_missing=data.missing.get("history"),
            **{key: view(data) for key, view in VIEWS.items()},
        )
    )


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("milestones.delivery.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(money=money, pct=pct, fine_pct=fine_pct, words=words, number=count)
    environment.globals.update(sections=SECTIONS, colors=TEMPLATE_COLORS)
    return environment
