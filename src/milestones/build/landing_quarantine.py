"""The build summary's line on the landing files' quarantine (docs/rules.md §3).

A row of accounts, renewals, milestone overrides or experiment assignments that breaks a landing rule
is set aside in fct_landing_row_violations, or used with a warning; the build says how many of each
there are, so that a bad row never goes unnoticed.
"""

from __future__ import annotations

from milestones.build.dbt import first_meaningful_line
from milestones.load.landing import RAW_TABLES
from milestones.warehouse import connect, resolve

VIOLATIONS_TABLE = "fct_landing_row_violations"


def violation_counts(target: str | None = None) -> list[tuple[str, str, bool, int]]:
    """(file kind, reason, set aside, rows) for every reason with rows in the landing quarantine."""
    relation = f"{resolve(target).schema}_marts.{VIOLATIONS_TABLE}"
    with connect(target, read_only=True) as connection:
        cursor = connection.cursor()
        cursor.execute(
            f"select file_kind, reason, is_quarantined, count(*) from {relation}"
            " group by file_kind, reason, is_quarantined order by file_kind, reason"
        )
        rows = cursor.fetchall()
    return [(kind, reason, bool(quarantined), int(count)) for kind, reason, quarantined, count in rows]


def quarantine_summary(target: str | None = None) -> str:
    """One line: the quarantined rows of every landing file kind (zeros included, so that a clean
    build says so too), then the rows used with a warning, by reason, when there are any."""
    try:
        counts = violation_counts(target)
    except Exception as error:  # a summary line must not fail a green build
        return f"landing rows quarantined: unknown ({first_meaningful_line(str(error))})"
    kinds = [kind for kind in RAW_TABLES if kind != "events"]
    per_kind = {
        kind: sum(n for k, _, quarantined, n in counts if k == kind and quarantined) for kind in kinds
    }
    line = f"landing rows quarantined ({VIOLATIONS_TABLE}): " + ", ".join(
        f"{kind} {rows}" for kind, rows in per_kind.items()
    )
    warnings = [f"{kind} {reason} {n}" for kind, reason, quarantined, n in counts if not quarantined]
    if warnings:
        line += "; used with a warning: " + ", ".join(warnings)
    return line
