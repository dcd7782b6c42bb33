"""How recently the landing tables were loaded, checked before `milestones build` runs dbt.

The thresholds are the landing source's in models/staging/landing/_landing__sources.yml (docs/rules.md
§3), the same that `dbt source freshness` reads: the age of the newest `loaded_at_field` (`_loaded_at`,
the time the loader wrote the row, UTC) of each table that has a threshold. They are measured here
with one query per table rather than by starting dbt, which would cost a build seven seconds for five
`max()`s. The build says so in one line per stale table, or in one line when every table is fresh. A
table past its warn threshold only warns. A table past its error threshold stops a delivering build
before dbt starts, so the CRM and the serving file keep the last delivery rather than scores computed
from landing data that stopped arriving; an analysis build (docs/rules.md §6) delivers nothing, so it
only warns. A check that could not run (no warehouse yet, no rows loaded) is said in one line and left
to the build itself.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from milestones import paths
from milestones.build.dbt import first_meaningful_line
from milestones.warehouse import resolve

SOURCE = "landing"
SOURCES_FILE = Path("models") / "staging" / "landing" / "_landing__sources.yml"
SECONDS_PER_DAY = 86_400
PERIOD_SECONDS = {"minute": 60, "hour": 3_600, "day": SECONDS_PER_DAY}


@dataclass(frozen=True)
class Freshness:
    """One landing table's freshness."""

    table: str  # landing.<table>
    status: str  # pass | warn | error | runtime error
    newest_load: datetime | None = None
    age_seconds: float | None = None
    warn_after: str | None = None
    error_after: str | None = None
    error: str = ""

    @property
    def stale(self) -> bool:
        return self.status in {"warn", "error"}


@dataclass(frozen=True)
class Policy:
    """A table's thresholds, as dbt merges them: the table's `freshness` keys over the source's."""

    table: str
    loaded_at_field: str
    warn_after: dict[str, Any] | None
    error_after: dict[str, Any] | None


def check_freshness(target: str | None, delivers: bool) -> bool:
    """Print the landing tables' freshness; False when the build must stop (a delivering build and a
    table past its error threshold)."""
    results = source_freshness(target)
    if results is None:
        print("landing freshness not checked: the warehouse could not be read", flush=True)
        return True
    blocked = blocks_delivery(results, delivers)
    for line in freshness_lines(results, blocked):
        # flushed: dbt's own output follows on the same stream
        print(line, file=sys.stderr if blocked else sys.stdout, flush=True)
    return not blocked


def blocks_delivery(results: list[Freshness], delivers: bool) -> bool:
    """A table past its error threshold stops a delivering build; an analysis build delivers nothing."""
    return delivers and any(result.status == "error" for result in results)


def source_freshness(target: str | None, now: datetime | None = None) -> list[Freshness] | None:
    """Each landing table with a threshold, measured now; None when the warehouse cannot be read."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    warehouse = resolve(target)
    try:
        connection = warehouse.connect(read_only=True)
    except Exception:  # no warehouse yet: the build says what is missing
        return None
    results = []
    try:
        for policy in policies():
            results.append(_measure(connection, warehouse, policy, now))
    finally:
        connection.close()
    return sorted(results, key=lambda result: result.table)


def policies(project_dir: Path | None = None) -> list[Policy]:
    """The landing tables that have a freshness threshold, from the source's YAML."""
    document = yaml.safe_load(((project_dir or paths.PROJECT_DIR) / SOURCES_FILE).read_text())
    source = next(source for source in document["sources"] if source["name"] == SOURCE)
    source_config = source.get("config") or {}
    default = source_config.get("freshness") or {}
    field = source_config.get("loaded_at_field") or source.get("loaded_at_field")
    found = []
    for table in source.get("tables", []):
        config = table.get("config") or {}
        if "freshness" in config and config["freshness"] is None:
            continue
        merged = {**default, **(config.get("freshness") or {})}
        warn, error = _period(merged.get("warn_after")), _period(merged.get("error_after"))
        table_field = config.get("loaded_at_field") or table.get("loaded_at_field") or field
        if (warn or error) and table_field:
            found.append(Policy(table["name"], table_field, warn, error))
    return found


def _period(period: dict[str, Any] | None) -> dict[str, Any] | None:
    if not period or period.get("count") is None or period.get("period") not in PERIOD_SECONDS:
        return None
    return period


def _measure(connection: Any, warehouse: Any, policy: Policy, now: datetime) -> Freshness:
    about = {
        "table": f"{SOURCE}.{policy.table}",
        "warn_after": _threshold(policy.warn_after),
        "error_after": _threshold(policy.error_after),
    }
    cursor = connection.cursor()
    try:
        cursor.execute(f"select max({policy.loaded_at_field}) from {warehouse.raw_schema}.{policy.table}")
        (newest,) = cursor.fetchone()
    except Exception as error:  # a table no load has reached yet
        if warehouse.target == "postgres":
            connection.rollback()
        return Freshness(status="runtime error", error=first_meaningful_line(str(error)), **about)
    finally:
        cursor.close()
    if newest is None:
        return Freshness(status="runtime error", error="no rows loaded yet", **about)
    if isinstance(newest, datetime) and newest.tzinfo is not None:
        newest = newest.astimezone(UTC).replace(tzinfo=None)
    age = (now - newest).total_seconds()
    status = "pass"
    if policy.error_after and age > _seconds(policy.error_after):
        status = "error"
    elif policy.warn_after and age > _seconds(policy.warn_after):
        status = "warn"
    return Freshness(status=status, newest_load=newest, age_seconds=age, **about)


def _seconds(period: dict[str, Any]) -> float:
    return float(period["count"]) * PERIOD_SECONDS[period["period"]]


def _threshold(period: dict[str, Any] | None) -> str | None:
    """{"count": 2, "period": "day"} as "2 days" (None when the threshold is not set)."""
    if not period:
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
