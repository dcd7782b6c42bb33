"""How recently the landing tables were loaded, checked before `milestones build` runs dbt.

dbt's own `dbt source freshness` measures it, from the thresholds in
models/staging/landing/_landing__sources.yml (docs/rules.md §3): the age of the newest `_loaded_at`
(the time the loader wrote the row, UTC) of each table that has a threshold. The build says so in one
line per stale table, or in one line when every table is fresh. A table past its warn threshold only
warns. A table past its error threshold stops a delivering build before dbt starts, so the CRM and the
serving file keep the last delivery rather than scores computed from landing data that stopped
arriving; an analysis build (docs/rules.md §6) delivers nothing, so it only warns. A check that could
not run (no rows loaded yet, dbt could not start) is said in one line and left to the build itself.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from milestones.build.dbt import first_meaningful_line, log_dir, run_dbt, target_dir

SELECTION = "source:landing"
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Freshness:
    """One landing table's result in dbt's sources.json."""

    table: str
    status: str  # pass | warn | error | runtime error
    newest_load: datetime | None = None
    age_seconds: float | None = None
    warn_after: str | None = None
    error_after: str | None = None
    error: str = ""

    @property
    def stale(self) -> bool:
        return self.status in {"warn", "error"}


def check_freshness(as_of: date | None, target: str | None, delivers: bool) -> bool:
    """Print the landing tables' freshness; False when the build must stop (a delivering build and a
    table past its error threshold)."""
    results = source_freshness(as_of, target)
    if results is None:
        print(
            f"landing freshness not checked: dbt source freshness did not run (log: {log_dir() / 'dbt.log'})",
            flush=True,
        )
        return True
    blocked = blocks_delivery(results, delivers)
    for line in freshness_lines(results, blocked):
        # flushed: dbt's own output follows on the same stream
        print(line, file=sys.stderr if blocked else sys.stdout, flush=True)
    return not blocked


def blocks_delivery(results: list[Freshness], delivers: bool) -> bool:
    """A table past its error threshold stops a delivering build; an analysis build delivers nothing."""
    return delivers and any(result.status == "error" for result in results)


def source_freshness(as_of: date | None, target: str | None) -> list[Freshness] | None:
    """`dbt source freshness` of the landing source, quietly (its log goes to the dbt log file); None
    when dbt wrote no results. It shares the build's partial parse (the as-of date is no dbt var)."""
    results_path = target_dir() / "sources.json"
    results_path.unlink(missing_ok=True)
    # exit 1 when a table is past its error threshold: the results file says which, not the outcome
    command = ["source", "freshness", "--select", SELECTION]
    run_dbt(command, target=target, as_of=as_of, quiet=True)
    return read_results(results_path)


def read_results(results_path: Path) -> list[Freshness] | None:
    try:
        results = json.loads(results_path.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return None
    return sorted((_freshness(result) for result in results), key=lambda result: result.table)


def _freshness(result: dict[str, Any]) -> Freshness:
    criteria = result.get("criteria") or {}
    newest = result.get("max_loaded_at")
    return Freshness(
        table=result["unique_id"].split(".", 2)[2],  # source.<project>.landing.events -> landing.events
        status=result["status"],
        newest_load=datetime.fromisoformat(newest) if newest else None,
        age_seconds=result.get("max_loaded_at_time_ago_in_s"),
        warn_after=_threshold(criteria.get("warn_after")),
        error_after=_threshold(criteria.get("error_after")),
        error=first_meaningful_line(result.get("error") or result.get("message") or ""),
    )


def _threshold(period: dict[str, Any] | None) -> str | None:
    """dbt's {"count": 2, "period": "day"} as "2 days" (None when the threshold is not set)."""
    if not period or period.get("count") is None or period.get("period") is None:
        return None
    count = period["count"]
    return f"{count} {period['period']}{'s' if count != 1 else ''}"


def freshness_lines(results: list[Freshness], blocked: bool = False) -> list[str]:
    """One line per stale table (or table not checked), else one line saying all are fresh."""
    lines = [_stale_line(result) for result in results if result.stale]
    lines += [
        f"{result.table} freshness not checked: {result.error}" for result in results if _failed(result)
    ]
    if blocked:
        lines.append(
            "milestones build: stopped before dbt: landing data past its error threshold is not delivered "
            "(load newer files, or raise error_after in models/staging/landing/_landing__sources.yml)"
        )
    if lines:
        return lines
    newest = max((result.newest_load for result in results if result.newest_load), default=None)
    return [f"landing sources fresh (newest load {_when(newest)})" if newest else "landing sources fresh"]


def _failed(result: Freshness) -> bool:
    return result.status not in {"pass", "warn", "error"}


def _stale_line(result: Freshness) -> str:
    thresholds = ", ".join(
        f"{kind} after {value}"
        for kind, value in (("warn", result.warn_after), ("error", result.error_after))
        if value
    )
    age = f", {result.age_seconds / SECONDS_PER_DAY:.1f} days ago" if result.age_seconds is not None else ""
    label = "is stale" if result.status == "warn" else "is past its error threshold"
    return f"{result.table} {label}: newest row loaded {_when(result.newest_load)}{age} ({thresholds})"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"
