"""`milestones report`: one self-contained HTML file a CS leader reads at a glance.

Headline figures count live customers (churned accounts apart). Sections: milestone funnel per
segment, time to each milestone against target, the stalled accounts grouped by playbook, health
bands (now and over time), onboarding cohorts, retention by milestone depth and velocity, experiments,
the health-score backtest, the top milestone candidates and the event contract's violation rates.
Charts are inline SVG drawn here (no plotting library), the HTML and CSS are Jinja templates in
templates/ inlined into one file, and there is no script: the file opens offline in any browser and
can be mailed as an attachment.
A section whose mart is not built says so instead of failing the report.
"""

from __future__ import annotations

import os
from pathlib import Path

from milestones import paths
from milestones.delivery.report.data import Reader, gather
from milestones.delivery.report.page import render
from milestones.warehouse import Warehouse, resolve

REPORT_FILE = "milestone_report.html"


def write_report(target: str | None = None, out: Path | None = None) -> Path:
    """Read the marts of the target's warehouse and write the report; return its path.

    `out` is a file path, or a folder to write milestone_report.html into; default the reports
    folder (MILESTONES_REPORTS_DIR, else reports/).
    """
    destination = Path(out) if out is not None else paths.reports_dir() / REPORT_FILE
    if destination.is_dir():
        destination = destination / REPORT_FILE
    destination = destination.resolve()
    warehouse = resolve(target)
    connection = warehouse.connect(read_only=True)
    try:
        data = gather(Reader(connection, warehouse))
    finally:
        connection.close()
    html = render(data, source=source_label(warehouse))
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(f".{destination.name}.tmp")
    temporary.write_text(html, encoding="utf-8")
    os.replace(temporary, destination)
    return destination


def source_label(warehouse: Warehouse) -> str:
    """The warehouse as the header names it: its kind and schema. Never a file path or a host: the
    report is mailed around, and where the warehouse lives is nobody's business but its owner's."""
    kind = {"duckdb": "DuckDB", "postgres": "PostgreSQL", "spark": "Spark"}[warehouse.target]
    return f"{kind} warehouse, schema {warehouse.schema}"
