"""The phases of a bench run, each run in a fresh child process so that its peak memory is its own.

`run_phase` starts a spawned Python process (not forked: a fork would start with this process's memory),
runs one of the functions below in it and returns its value, its wall time (measured inside the child,
without the start-up of the child itself) and two high-water marks: the child's own maximum resident set
size (the loader and the reference pipeline run DuckDB in it) and that of the processes it waited for (dbt,
which `milestones build` runs as a child process of its own). Output goes straight to this terminal.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PhaseResult:
    name: str
    seconds: float
    peak_self_bytes: int
    peak_children_bytes: int
    value: Any

    @property
    def peak_bytes(self) -> int:
        """The larger of the two high-water marks (the process and the children it waited for)."""
        return max(self.peak_self_bytes, self.peak_children_bytes)

    def summary(self) -> dict[str, Any]:
        return {
            "phase": self.name,
            "seconds": round(self.seconds, 3),
            "peak_bytes": self.peak_bytes,
            "peak_self_bytes": self.peak_self_bytes,
            "peak_children_bytes": self.peak_children_bytes,
        }


def max_rss_bytes(who: int) -> int:
    """resource.getrusage(who).ru_maxrss in bytes (Linux reports kibibytes, macOS bytes)."""
    value = resource.getrusage(who).ru_maxrss
    return int(value if sys.platform == "darwin" else value * 1024)


def _measured(function: Callable[..., Any], kwargs: dict[str, Any]) -> tuple[Any, float, int, int]:
    started = time.perf_counter()
    value = function(**kwargs)
    seconds = time.perf_counter() - started
    return value, seconds, max_rss_bytes(resource.RUSAGE_SELF), max_rss_bytes(resource.RUSAGE_CHILDREN)


def run_phase(name: str, function: Callable[..., Any], **kwargs: Any) -> PhaseResult:
    """Run `function(**kwargs)` (a module-level function, picklable arguments) in a fresh child process.
    The child inherits this process's environment as it is now."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        value, seconds, peak_self, peak_children = pool.submit(_measured, function, kwargs).result()
    return PhaseResult(name, seconds, peak_self, peak_children, value)


# ------------------------------------------------------------------------------------ phase functions
# Each runs in a child process and returns plain, picklable values.


def generate_events(
    accounts: int, days: int, seed: int, out: Path, dirty_rate: float, progress: bool, event_files: str
) -> dict[str, Any]:
    """The generator (`milestones generate`); returns its manifest's counts and window."""
    from milestones.sample import generate
    from milestones.sample.core import MANIFEST

    summary = generate(
        accounts=accounts,
        days=days,
        seed=seed,
        out=out,
        dirty_rate=dirty_rate,
        progress=progress,
        event_files=event_files,
    )
    manifest = json.loads((Path(out) / MANIFEST).read_text())
    return {
        "accounts": summary.accounts,
        "event_rows": int(manifest["counts"]["event_rows_total"]),
        "events_valid": int(manifest["counts"]["events_valid"]),
        "start_date": manifest["start_date"],
        "end_date": manifest["end_date"],
        "bytes_written": summary.bytes_written,
    }


def split_last_day(source: Path, base: Path, day_dir: Path, day: date) -> Any:
    """Cut the generated folder into the history and the held-back day (milestones.bench.split)."""
    import duckdb

    from milestones.bench.split import hold_back_day
    from milestones.warehouse import duckdb_config

    spill = Path(source).parent / "split_tmp"
    spill.mkdir(exist_ok=True)
    config = {**duckdb_config(), "temp_directory": str(spill)}
    with duckdb.connect(":memory:", config=config) as connection:
        connection.execute("SET enable_progress_bar = false")
        summary = hold_back_day(connection, Path(source), Path(base), Path(day_dir), day)
    shutil.rmtree(spill, ignore_errors=True)
    return summary


def load_folder(directory: Path) -> dict[str, int]:
    """`milestones load DIR` into MILESTONES_DUCKDB_PATH; returns the rows loaded per raw table."""
    from milestones.load import load_directory

    summary = load_directory(Path(directory))
    print(summary, file=sys.stderr, flush=True)
    return summary.rows_by_table


def build(as_of: date, full_refresh: bool, keep_run_results: Path) -> dict[str, Any]:
    """`milestones build --as-of D [--full-refresh]`; keeps a copy of dbt's run_results.json and times
    the dbt child process apart from the steps run_build adds after it (the data validations)."""
    from milestones.build import run as build_module  # run_build calls run_dbt through this module
    from milestones.build.dbt import target_dir

    dbt_seconds: list[float] = []
    run_dbt = build_module.run_dbt

    def timed_run_dbt(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return run_dbt(*args, **kwargs)
        finally:
            dbt_seconds.append(time.perf_counter() - started)

    build_module.run_dbt = timed_run_dbt  # this child process only
    exit_code = build_module.run_build(as_of=as_of, full_refresh=full_refresh)
    results = target_dir() / "run_results.json"
    copied = None
    if results.exists() and dbt_seconds:  # a build with nothing new stops before dbt (build.unchanged)
        Path(keep_run_results).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(results, keep_run_results)
        copied = str(keep_run_results)
    return {"exit_code": exit_code, "run_results": copied, "dbt_seconds": sum(dbt_seconds) or None}


def reference_pipeline(landing: Path, seeds: Path, as_of: date, out: Path) -> dict[str, Any]:
    """The hand-written reference (milestones.bench.reference) from the landing files and the seeds to its
    two outputs, written to `out`; a plain DuckDB of its own, nothing of the product's warehouse."""
    from milestones.bench.reference import connect, run_reference, write_outputs

    with connect() as connection:
        landed = run_reference(connection, Path(landing), Path(seeds), as_of)
        return {"landed_rows": landed, "output_rows": write_outputs(connection, Path(out))}


def reference_check(out: Path) -> dict[str, Any]:
    """Compare the reference's outputs in `out` with the product's tables in the warehouse, row for row."""
    from milestones.bench.reference import connect
    from milestones.bench.reference_check import compare_with_product
    from milestones.warehouse import resolve

    place = resolve()
    with connect() as connection:
        return compare_with_product(connection, Path(out), place.path, place.schema)
