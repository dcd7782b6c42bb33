"""Pure helpers of `milestones bench`: calibration, dbt run-results analysis, the targets, the table.

Nothing here touches a file, a process or a database, so all of it is unit-tested on plain values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

# The performance targets (docs/performance.md, Targets). A run counts as a size's when it generated at
# least 90% of it: the bench keeps a generation within 10% of what was asked.
TARGET_REFERENCE_RATIO = 2.0
TARGET_DAILY_RATIO = 0.10
TARGET_NO_NEW_DATA_S = 15.0
TARGET_PEAK_MEMORY = 4 * 1024**3
TARGET_LARGE_PEAK_MEMORY = 4.5 * 1024**3
TARGET_LARGE_TIME_RATIO = 12.0
TARGET_LARGE_MEMORY_LIMIT = 4 * 1024**3
MILLION, TEN_MILLION, HUNDRED_MILLION = 1_000_000, 10_000_000, 100_000_000
SIZE_TOLERANCE = 0.10

SLOWEST_NODES = 10
DATA_NODE_TYPES = ("model", "seed", "snapshot")
TEST_NODE_TYPES = ("test", "unit_test")


# ------------------------------------------------------------------------------------ calibration
def accounts_for_events(target_events: int, sample_events: int, sample_accounts: int) -> int:
    """Accounts to generate for about `target_events` event rows, from a sample run that gave
    `sample_events` rows for `sample_accounts` accounts (the generator's volume is per account)."""
    if target_events < 1:
        raise ValueError("target_events must be positive")
    if sample_events < 1 or sample_accounts < 1:
        raise ValueError("the calibration sample has no events")
    return max(1, round(target_events * sample_accounts / sample_events))


def close_enough(target_events: int, actual_events: int, tolerance: float = 0.10) -> bool:
    """A generated volume within `tolerance` of the target (relative) is kept."""
    return abs(actual_events - target_events) <= tolerance * target_events


def calibration_accounts(target_events: int, guess_per_account: int, lowest: int, highest: int) -> int:
    """Size of the calibration sample: the run itself when it is small, else a capped sample."""
    return min(highest, max(lowest, math.ceil(target_events / guess_per_account)))


# ------------------------------------------------------------------------------------ dbt run results
@dataclass(frozen=True)
class DbtTiming:
    """Where a dbt build's wall time went.

    wall_s: the dbt process as the user waits for it (start to exit, measured by the bench).
    dbt_elapsed_s: dbt's own elapsed_time (from the start of the run, after parsing, to its end).
    startup_s: wall_s - dbt_elapsed_s: Python and dbt start-up, project parsing, artifacts.
    node_seconds: sum of every node's execution_time (with several dbt threads this exceeds the wall).
    busy_s: time during which at least one node was executing (union of the nodes' execute intervals).
    overhead_s: wall_s - busy_s, dbt's own overhead: start-up, parsing, compiling, scheduling, hooks,
    artifacts; the part of the build in which no SQL of a node is running.
    """

    wall_s: float
    dbt_elapsed_s: float
    startup_s: float
    node_seconds: float
    busy_s: float
    overhead_s: float
    overhead_share: float
    threads: int | None
    by_type: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _execute_interval(result: dict[str, Any]) -> tuple[datetime, datetime] | None:
    for step in result.get("timing") or []:
        if step.get("name") == "execute" and step.get("started_at") and step.get("completed_at"):
            return _parse_time(step["started_at"]), _parse_time(step["completed_at"])
    return None


def union_seconds(intervals: Iterable[tuple[datetime, datetime]]) -> float:
    """Total length of the union of time intervals (overlapping parts counted once)."""
    total = 0.0
    current_start: datetime | None = None
    current_end: datetime | None = None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_start is not None and current_end is not None:
                total += (current_end - current_start).total_seconds()
            current_start, current_end = start, end
        elif end > current_end:
            current_end = end
    if current_start is not None and current_end is not None:
        total += (current_end - current_start).total_seconds()
    return total


def resource_type(unique_id: str) -> str:
    return unique_id.split(".", 1)[0]


def dbt_timing(run_results: dict[str, Any], wall_seconds: float, threads: int | None = None) -> DbtTiming:
    """Split a build's wall time into node execution and dbt's own overhead (see DbtTiming)."""
    results = run_results.get("results") or []
    intervals = [interval for result in results if (interval := _execute_interval(result))]
    busy = union_seconds(intervals)
    node_seconds = sum(float(result.get("execution_time") or 0.0) for result in results)
    elapsed = float(run_results.get("elapsed_time") or 0.0)
    by_type: dict[str, dict[str, float]] = {}
    for result in results:
        totals = by_type.setdefault(resource_type(result["unique_id"]), {"nodes": 0, "seconds": 0.0})
        totals["nodes"] += 1
        totals["seconds"] = round(totals["seconds"] + float(result.get("execution_time") or 0.0), 3)
    threads = (run_results.get("args") or {}).get("threads") or threads
    overhead = max(0.0, wall_seconds - busy)
    return DbtTiming(
        wall_s=round(wall_seconds, 3),
        dbt_elapsed_s=round(elapsed, 3),
        startup_s=round(max(0.0, wall_seconds - elapsed), 3),
        node_seconds=round(node_seconds, 3),
        busy_s=round(busy, 3),
        overhead_s=round(overhead, 3),
        overhead_share=round(overhead / wall_seconds, 4) if wall_seconds > 0 else 0.0,
        threads=threads,
        by_type=dict(sorted(by_type.items(), key=lambda item: -item[1]["seconds"])),
    )


def slowest_nodes(
    run_results: dict[str, Any], limit: int = SLOWEST_NODES, types: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The nodes (of the given resource types, default all) that took longest, longest first."""
    results = sorted(
        (
            r
            for r in run_results.get("results") or []
            if types is None or resource_type(r["unique_id"]) in types
        ),
        key=lambda r: float(r.get("execution_time") or 0.0),
        reverse=True,
    )
    return [
        {
            "node": result["unique_id"].split(".")[-1],
            "unique_id": result["unique_id"],
            "type": resource_type(result["unique_id"]),
            "seconds": round(float(result.get("execution_time") or 0.0), 3),
            "status": result.get("status"),
        }
        for result in results[:limit]
    ]


def compare_builds(
    full: dict[str, Any], incremental: dict[str, Any], limit: int = SLOWEST_NODES
) -> list[dict[str, Any]]:
    """The models (and seeds, snapshots) that cost the incremental build most, each with its time in the
    full build: a model whose share stays near 100% is rebuilt whole every day."""
    full_seconds = {r["unique_id"]: float(r.get("execution_time") or 0.0) for r in full.get("results") or []}
    rows = []
    for result in incremental.get("results") or []:
        if resource_type(result["unique_id"]) not in DATA_NODE_TYPES:
            continue
        seconds = float(result.get("execution_time") or 0.0)
        before = full_seconds.get(result["unique_id"])
        rows.append(
            {
                "node": result["unique_id"].split(".")[-1],
                "type": resource_type(result["unique_id"]),
                "full_s": round(before, 3) if before is not None else None,
                "incremental_s": round(seconds, 3),
                "share": round(seconds / before, 3) if before else None,
            }
        )
    rows.sort(key=lambda row: row["incremental_s"], reverse=True)
    return rows[:limit]


def failed_nodes(run_results: dict[str, Any]) -> list[str]:
    return [
        result["unique_id"]
        for result in run_results.get("results") or []
        if result.get("status") in {"error", "fail", "runtime error", "skipped"}
    ]


# ------------------------------------------------------------------------------------ memory
def format_bytes(count: int | float | None) -> str:
    if count is None:
        return "-"
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:,.0f} {unit}" if unit in ("B", "KiB") else f"{value:,.2f} {unit}"
        value /= 1024
    return f"{value:,.2f} GiB"  # pragma: no cover


# ------------------------------------------------------------------------------------ targets
@dataclass(frozen=True)
class Target:
    name: str
    met: bool | None  # None: not checked at this size
    detail: str

    @property
    def verdict(self) -> str:
        return "not checked" if self.met is None else ("met" if self.met else "MISSED")


@dataclass(frozen=True)
class Figures:
    """What the targets are judged on, from one run (and the 10M run's time, for a 100M one)."""

    events: int
    completed: bool
    reference_ratio: float | None = None
    daily_ratio: float | None = None
    no_new_data_s: float | None = None
    peak_memory_bytes: int | None = None
    memory_limit_bytes: int | None = None
    memory_limit_text: str | None = None
    load_and_full_build_s: float | None = None
    ten_million_load_and_full_build_s: float | None = None


def is_size(events: int, size: int) -> bool:
    """A run of about `size` events or more (a generation may land up to 10% short)."""
    return events >= size * (1 - SIZE_TOLERANCE)


def check_targets(figures: Figures) -> list[Target]:
    """The five targets of docs/performance.md. A target for another size is not checked (met None);
    with a failed build the times and ratios are not judged either (skipped nodes make a build look
    faster), while the 100M target is missed (the run did not complete)."""
    return [
        _reference_target(figures),
        _daily_target(figures),
        _no_new_data_target(figures),
        _peak_target(figures),
        _large_target(figures),
    ]


def _judged(figures: Figures, value: float | None, limit: float, detail: str) -> tuple[bool | None, str]:
    if value is None:
        return None, "not measured"
    if not figures.completed:
        return None, f"{detail} (a build failed: not judged)"
    return value <= limit, detail


def _reference_target(figures: Figures) -> Target:
    name = "(load + full build) / reference <= 2x at 10M events"
    ratio = figures.reference_ratio
    detail = f"{ratio:.1f}x at {figures.events:,} events" if ratio is not None else ""
    if not is_size(figures.events, TEN_MILLION) or figures.events >= HUNDRED_MILLION * (1 - SIZE_TOLERANCE):
        return Target(name, None, f"{detail or 'no ratio'} (the target is at 10M)")
    return Target(name, *_judged(figures, ratio, TARGET_REFERENCE_RATIO, detail))


def _daily_target(figures: Figures) -> Target:
    name = "daily load + build <= 10% of the full load + build"
    ratio = figures.daily_ratio
    detail = f"{ratio:.1%} of the full load + build" if ratio is not None else ""
    return Target(name, *_judged(figures, ratio, TARGET_DAILY_RATIO, detail))


def _no_new_data_target(figures: Figures) -> Target:
    name = "build with no new data <= 15 s at 1M events"
    seconds = figures.no_new_data_s
    detail = f"{seconds:.1f}s at {figures.events:,} events" if seconds is not None else ""
    if figures.events > MILLION * (1 + SIZE_TOLERANCE):
        return Target(name, None, f"{detail or 'not measured'} (the target is at 1M)")
    return Target(name, *_judged(figures, seconds, TARGET_NO_NEW_DATA_S, detail))


def _peak_target(figures: Figures) -> Target:
    name = "peak memory <= 4 GiB at 10M events"
    peak = figures.peak_memory_bytes
    detail = f"{format_bytes(peak)} (memory_limit {figures.memory_limit_text or 'the profile default'})"
    if not is_size(figures.events, TEN_MILLION) or is_size(figures.events, HUNDRED_MILLION):
        return Target(name, None, f"{detail} (the target is at 10M)")
    return Target(name, None if peak is None else peak <= TARGET_PEAK_MEMORY, detail)


def _large_target(figures: Figures) -> Target:
    name = "100M events under memory_limit=4GB: peak <= 4.5 GiB, within 12x of the 10M run's time"
    limit = figures.memory_limit_text or "the profile default"
    if not is_size(figures.events, HUNDRED_MILLION):
        detail = f"needs a run of 100M events ({figures.events:,} here, memory_limit {limit})"
        return Target(name, None, detail)
    if figures.memory_limit_bytes is None or figures.memory_limit_bytes > TARGET_LARGE_MEMORY_LIMIT:
        return Target(name, None, f"run with --memory-limit 4GB to check it (memory_limit {limit})")
    if not figures.completed:
        return Target(name, False, "a build failed (see not_passed)")
    peak_ok = figures.peak_memory_bytes is not None and figures.peak_memory_bytes <= TARGET_LARGE_PEAK_MEMORY
    detail = f"peak {format_bytes(figures.peak_memory_bytes)}"
    ten, hundred = figures.ten_million_load_and_full_build_s, figures.load_and_full_build_s
    if ten is None or hundred is None:
        return Target(name, None if peak_ok else False, f"{detail}; no 10M run beside it to compare the time")
    ratio = hundred / ten
    return Target(name, peak_ok and ratio <= TARGET_LARGE_TIME_RATIO, f"{detail}; {ratio:.1f}x the 10M run")


# ------------------------------------------------------------------------------------ the table
TABLE_COLUMNS = (
    ("events", "events"),
    ("load_s", "load s"),
    ("full_build_s", "full build s"),
    ("events_per_second", "events/s"),
    ("incremental_s", "incremental s"),
    ("incremental_ratio", "incremental/full"),
    # (day load + incremental build) / (load + full build): what the daily target is judged on
    ("daily_ratio", "daily/full"),
    ("no_new_data_s", "no new data s"),
    ("next_day_s", "next day s"),
    ("peak_memory_bytes", "peak memory"),
    # (load + full build) / the hand-written reference pipeline over the same landing files
    ("reference_ratio", "vs reference"),
)


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key == "events":
        return f"{int(value):,}"
    if key == "events_per_second":
        return f"{value:,.0f}"
    if key in ("incremental_ratio", "daily_ratio"):
        return f"{value:.1%}"
    if key == "peak_memory_bytes":
        return format_bytes(value)
    if key == "reference_ratio":
        return format_ratio(value)
    return f"{value:,.1f}"


def format_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}x"


def format_differences(title: str, compared: dict[str, Any] | None) -> list[str]:
    """The reference-vs-product comparison of one output: the counts, and examples when rows differ."""
    if not compared:
        return [f"  {title}: not compared"]
    only_reference, only_product = compared["only_reference"], compared["only_product"]
    verdict = "agree" if only_reference == only_product == 0 else "DIFFER"
    lines = [
        f"  {title}: {verdict}; {compared['rows']:,} rows in the reference, "
        f"{compared['product_rows']:,} in the product; {only_reference:,} rows only in the reference, "
        f"{only_product:,} only in the product"
    ]
    for side in ("only_reference", "only_product"):
        lines += [f"    {side.replace('_', ' ')}: {row}" for row in compared.get(f"{side}_examples", [])]
    return lines


def format_table(rows: Sequence[dict[str, Any]], markdown: bool = False) -> str:
    """The bench table, one row per run: plain text aligned in columns, or a Markdown table."""
    headers = [title for _, title in TABLE_COLUMNS]
    cells = [[_cell(key, row.get(key)) for key, _ in TABLE_COLUMNS] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---:" for _ in headers) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines)
    widths = [max(len(header), *(len(row[i]) for row in cells)) for i, header in enumerate(headers)]
    lines = ["  ".join(header.rjust(width) for header, width in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def format_nodes(nodes: Sequence[dict[str, Any]]) -> str:
    width = max((len(node["node"]) for node in nodes), default=4)
    return "\n".join(
        f"  {node['seconds']:8.2f}s  {node['type']:<9} {node['node']:<{width}}  {node['status']}"
        for node in nodes
    )


def format_comparison(rows: Sequence[dict[str, Any]]) -> str:
    width = max((len(row["node"]) for row in rows), default=4)
    lines = []
    for row in rows:
        full = f"{row['full_s']:8.2f}s" if row["full_s"] is not None else "        -"
        share = f"{row['share']:.0%}" if row["share"] is not None else "-"
        lines.append(
            f"  {row['node']:<{width}}  full {full}  incremental {row['incremental_s']:8.2f}s  {share:>5}"
        )
    return "\n".join(lines)


def format_by_type(by_type: dict[str, dict[str, float]]) -> str:
    return ", ".join(f"{name} {int(t['nodes'])} nodes {t['seconds']:,.1f}s" for name, t in by_type.items())
