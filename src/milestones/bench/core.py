"""`milestones bench`: how fast the warehouse builds, and where the time goes (docs/performance.md).

One run: generate about N event rows (the number of accounts calibrated on a small sample), hold back the
last day, load the rest, build from scratch (`--full-refresh`), time a hand-written DuckDB pipeline from the
same landing files to the same quarantine reasons and fct_account_milestones rows (and check it against the
product row for row), land the held-back day and build incrementally, then build twice more with nothing
new: as of the same day, and as of the next. The history is built as of the day before the held-back one
and the held-back day as of itself: a scheduled day, whose arrivals land and whose as-of moves one day. Every
phase runs in a child process of its own (see milestones.bench.phases) so that its peak memory is
measured alone.

Everything happens in a work folder (default: a new folder under .tmp/bench/, removed at the end unless
keep): the landing files, the DuckDB file, its spill folder, the validations' Data Docs and, unless
DBT_TARGET_PATH / DBT_LOG_PATH are set, dbt's artifacts and logs. The project's warehouse is never
touched. DuckDB settings are the profile's: memory_limit, threads and temp_directory come from
MILESTONES_DUCKDB_MEMORY_LIMIT, MILESTONES_DUCKDB_THREADS and MILESTONES_DUCKDB_TEMP_DIRECTORY, which
memory_limit and threads set for the run.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from milestones import paths
from milestones.bench import report
from milestones.bench.options import DEFAULT_EVENTS
from milestones.bench.phases import (
    PhaseResult,
    build,
    generate_events,
    load_folder,
    max_rss_bytes,
    reference_check,
    reference_pipeline,
    run_phase,
    split_last_day,
)
from milestones.errors import UserError
from milestones.sample.options import DEFAULT_EVENT_FILES
from milestones.user_seeds import project_seeds_dir
from milestones.warehouse import DEFAULT_MEMORY_LIMIT, parse_size

DAYS = 180
SEED = 7
DIRTY_RATE = 0.01
# Event rows per account over 180 days, roughly (the calibration run measures the real figure).
GUESS_EVENTS_PER_ACCOUNT = 1_800
CALIBRATION_ACCOUNTS = (10, 200)
# The profile's defaults (profiles.example.yml), reported when the environment sets nothing.
PROFILE_DEFAULTS = {
    "MILESTONES_DUCKDB_MEMORY_LIMIT": DEFAULT_MEMORY_LIMIT,
    "MILESTONES_DUCKDB_THREADS": "2",
    "MILESTONES_THREADS": "2",
}
NEXT_DAY = "next day, no new data"
PRODUCT_PHASES = ("load", "full build", "load day", "incremental build", "no new data", NEXT_DAY)
BENCH_VERSION = 1


@dataclass(frozen=True)
class Sample:
    """How the bench's events are generated: the same settings, the same rows."""

    seed: int = SEED
    days: int = DAYS
    dirty_rate: float = DIRTY_RATE
    event_files: str = DEFAULT_EVENT_FILES  # or "parquet": the same rows in far less disk


@dataclass
class BenchResult:
    requested_events: int
    events: int = 0
    events_full_build: int = 0
    events_held_back: int = 0
    accounts: int = 0
    held_back_day: str | None = None
    load_s: float | None = None
    full_build_s: float | None = None
    events_per_second: float | None = None
    incremental_load_s: float | None = None
    incremental_s: float | None = None
    incremental_ratio: float | None = None  # incremental build / full build
    daily_ratio: float | None = None  # (day load + incremental build) / (load + full build)
    no_new_data_s: float | None = None  # the same build again, nothing loaded since
    next_day_s: float | None = None  # a build as of the next day, nothing loaded since
    peak_memory_bytes: int | None = None
    reference_ratio: float | None = None  # (load + full build) / the reference pipeline
    reference: dict[str, Any] = field(default_factory=dict)
    full_build: dict[str, Any] = field(default_factory=dict)
    incremental_build: dict[str, Any] = field(default_factory=dict)
    phases: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)
    targets: list[dict[str, Any]] = field(default_factory=list)
    started_at: str = ""
    total_s: float = 0.0
    work_dir: str | None = None
    report_path: str | None = None

    no_new_data_build: dict[str, Any] = field(default_factory=dict)
    next_day_build: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        builds = (self.full_build, self.incremental_build, self.no_new_data_build, self.next_day_build)
        return all(build.get("exit_code") == 0 for build in builds)

    @property
    def exit_code(self) -> int:
        """0 when every build passed (a missed target is a finding, not a failure), else 1."""
        return 0 if self.succeeded else 1

    def table_row(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key, _ in report.TABLE_COLUMNS}

    def to_dict(self) -> dict[str, Any]:
        data = {"bench_version": BENCH_VERSION}
        data.update({name: getattr(self, name) for name in self.__dataclass_fields__})
        data["succeeded"] = self.succeeded
        return data


def run_bench(
    events: int = DEFAULT_EVENTS,
    out_dir: Path | None = None,
    keep: bool = False,
    memory_limit: str | None = None,
    threads: int | None = None,
    *,
    work_dir: Path | None = None,
    sample: Sample = Sample(),
    reference: bool = True,
) -> BenchResult:
    """Run the bench and print its table. out_dir: where bench_<events>.json goes (default
    reports/bench/); work_dir: where the work folder is made (default .tmp/bench/); reference: False
    skips the reference pipeline (at 100M it takes as long as the build)."""
    if events < 1:
        raise UserError("--events must be positive")
    if memory_limit is not None:
        try:
            parse_size(memory_limit)
        except ValueError:
            raise UserError(f"--memory-limit is not a memory size (like 4GB): {memory_limit!r}") from None
    if threads is not None and threads < 1:
        raise UserError("--threads must be positive")
    root = Path(work_dir) if work_dir else Path(".tmp/bench")
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"bench_{events}_", dir=root.resolve()))
    out_path = (Path(out_dir) if out_dir else paths.reports_dir() / "bench") / f"bench_{events}.json"
    result = BenchResult(requested_events=events, started_at=datetime.now(UTC).isoformat(timespec="seconds"))
    say = _Progress()
    try:
        with _environment(_bench_environment(work, memory_limit, threads)):
            result.settings = _settings(sample)
            result.machine = _machine()
            say(f"work folder {work}; {_describe_settings(result.settings)}")
            _run(result, work, events, sample, reference, say)
    finally:
        if keep:
            result.work_dir = str(work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    result.total_s = round(say.elapsed(), 1)
    _finish(result, out_path)
    return result


class _Phases:
    """Runs the phases one by one, each in a child process, and records them on the result."""

    def __init__(self, result: BenchResult, say: _Progress) -> None:
        self.result = result
        self.say = say
        self.done: list[PhaseResult] = []

    def __call__(self, step: str, name: str, function: Any, **kwargs: Any) -> PhaseResult:
        self.say(f"{step} {name} ...")
        outcome = run_phase(name, function, **kwargs)
        self.done.append(outcome)
        self.result.phases = [p.summary() for p in self.done]
        peak = report.format_bytes(outcome.peak_bytes)
        self.say(f"{step} {name}: {outcome.seconds:,.1f}s, peak memory {peak}")
        return outcome

    def peak_bytes(self, names: Sequence[str]) -> int:
        return max(p.peak_bytes for p in self.done if p.name in names)


def _run(
    result: BenchResult, work: Path, events: int, sample: Sample, reference: bool, say: _Progress
) -> None:
    phase = _Phases(result, say)
    manifest = _generate(phase, work / "generated", events, sample)
    result.accounts = manifest["accounts"]
    result.events = manifest["event_rows"]
    day = date.fromisoformat(manifest["end_date"])
    base, day_dir = _hold_back_last_day(phase, work, day)
    # the history as of the day before the held-back one, as the scheduled build of that day left it; the
    # as-of reaches dbt as an environment variable, so moving it costs no parse
    history_as_of = day - timedelta(days=1)
    full = _full_build(phase, work, base, history_as_of)
    if reference:
        _reference_pipeline(phase, work, base, history_as_of)
    else:
        say("5/9 reference pipeline: skipped (--no-reference)")
    _incremental_build(phase, work, day_dir, day, full)
    _no_new_data_build(phase, work, day)
    result.peak_memory_bytes = phase.peak_bytes(PRODUCT_PHASES)


def _generate(phase: _Phases, generated: Path, events: int, sample: Sample) -> dict[str, Any]:
    """1. Calibrate the accounts for the events asked for, then generate; return the manifest's counts.

    The volume per account varies a lot between accounts (segments, activity), so a run that lands more
    than 10% off is made again once with the accounts corrected by its own, much larger, sample.
    """
    say = phase.say
    accounts = report.calibration_accounts(events, GUESS_EVENTS_PER_ACCOUNT, *CALIBRATION_ACCOUNTS)
    step = "calibrate"
    tries = 0
    while True:
        manifest = phase(
            "1/9",
            step,
            generate_events,
            accounts=accounts,
            days=sample.days,
            seed=sample.seed,
            out=generated,
            dirty_rate=sample.dirty_rate,
            event_files=sample.event_files,
            progress=step != "calibrate",
        ).value
        tries += step != "calibrate"
        corrected = report.accounts_for_events(events, manifest["event_rows"], accounts)
        say(
            f"      {manifest['event_rows']:,} event rows from {accounts:,} accounts "
            f"({manifest['event_rows'] / accounts:,.0f} per account)"
        )
        if corrected == accounts or (
            step != "calibrate" and report.close_enough(events, manifest["event_rows"])
        ):
            return manifest
        if tries >= 2:
            return manifest
        say(f"      {corrected:,} accounts for {events:,} events")
        shutil.rmtree(generated)
        accounts, step = corrected, "generate"


def _hold_back_last_day(phase: _Phases, work: Path, day: date) -> tuple[Path, Path]:
    """2. Split the generated files into the history (base) and the last day; return both folders."""
    result = phase.result
    result.held_back_day = day.isoformat()
    base, day_dir = work / "landing", work / "landing_day"
    split = phase(
        "2/9",
        "hold back the last day",
        split_last_day,
        source=work / "generated",
        base=base,
        day_dir=day_dir,
        day=day,
    )
    shutil.rmtree(work / "generated")  # the two folders hold every row: at 100M the disk is needed
    result.events_full_build = split.value.base_rows
    result.events_held_back = split.value.held_back_rows
    phase.say(
        f"      {result.events_full_build:,} event rows before {day}, {result.events_held_back:,} held back "
        f"-> {split.value.held_back_file.name}"
    )
    return base, day_dir


def _full_build(phase: _Phases, work: Path, base: Path, as_of: date) -> PhaseResult:
    """3. Load the history, 4. build it from scratch as of `as_of`."""
    result = phase.result
    loaded = phase("3/9", "load", load_folder, directory=base)
    result.load_s = round(loaded.seconds, 3)
    results = work / "run_results_full.json"
    full, result.full_build = _timed_build(phase, "4/9", "full build", results, as_of, full_refresh=True)
    result.full_build_s = round(full.seconds, 3)
    if full.seconds > 0:
        result.events_per_second = round(result.events_full_build / full.seconds, 1)
    return full


def _reference_pipeline(phase: _Phases, work: Path, base: Path, as_of: date) -> None:
    """5. The hand-written reference pipeline from the same landing files (timed), then its outputs
    compared with the product's tables row for row (not timed)."""
    result = phase.result
    out = work / "reference"
    try:
        timed = phase(
            "5/9",
            "reference pipeline",
            reference_pipeline,
            landing=base,
            seeds=project_seeds_dir(),
            as_of=as_of,
            out=out,
        )
        result.reference = {"seconds": round(timed.seconds, 3), "peak_bytes": timed.peak_bytes, **timed.value}
        product = _load_and_full_build(result.load_s, result.full_build_s)
        if product is not None and timed.seconds > 0:
            result.reference_ratio = round(product / timed.seconds, 2)
            result.reference["ratio"] = result.reference_ratio
    except Exception as error:  # a finding to report, not a reason to lose the rest of the run
        result.reference = {"error": str(error).strip().splitlines()[0]}
        phase.say(f"5/9 reference pipeline failed: {result.reference['error']}")
        return
    try:
        result.reference.update(phase("5/9", "reference check", reference_check, out=out).value)
    except Exception as error:  # the product's tables are missing when the build failed early
        result.reference["comparison_error"] = str(error).strip().splitlines()[0]
        phase.say(f"5/9 reference check failed: {result.reference['comparison_error']}")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _incremental_build(phase: _Phases, work: Path, day_dir: Path, day: date, full: PhaseResult) -> None:
    """6. Land the held-back day, 7. build incrementally as of that day (the as-of moves one day);
    compare with the full build and the load before it."""
    result = phase.result
    day_load = phase("6/9", "load day", load_folder, directory=day_dir)
    result.incremental_load_s = round(day_load.seconds, 3)
    results = work / "run_results_incremental.json"
    incremental, result.incremental_build = _timed_build(phase, "7/9", "incremental build", results, day)
    result.incremental_s = round(incremental.seconds, 3)
    if full.seconds > 0:
        result.incremental_ratio = round(incremental.seconds / full.seconds, 4)
    history = _load_and_full_build(result.load_s, result.full_build_s)
    if history:
        daily = result.incremental_load_s + result.incremental_s
        result.daily_ratio = round(daily / history, 4)
    if result.full_build.get("run_results") and result.incremental_build.get("run_results"):
        result.incremental_build["models_vs_full"] = report.compare_builds(
            json.loads(Path(result.full_build["run_results"]).read_text()),
            json.loads(Path(result.incremental_build["run_results"]).read_text()),
        )
    for details in (result.full_build, result.incremental_build):
        details.pop("run_results", None)


def _no_new_data_build(phase: _Phases, work: Path, day: date) -> None:
    """8. The same build again with nothing loaded since: what a run costs when nothing arrived; 9. a build
    as of the next day, still with nothing new: the scheduled run of a day without arrivals."""
    result = phase.result
    again, result.no_new_data_build = _timed_build(
        phase, "8/9", "no new data", work / "run_results_no_new_data.json", day
    )
    result.no_new_data_s = round(again.seconds, 3)
    result.no_new_data_build.pop("run_results", None)
    next_day, result.next_day_build = _timed_build(
        phase, "9/9", NEXT_DAY, work / "run_results_next_day.json", day + timedelta(days=1)
    )
    result.next_day_s = round(next_day.seconds, 3)
    result.next_day_build.pop("run_results", None)


def _timed_build(
    phase: _Phases, step: str, name: str, run_results: Path, day: date, full_refresh: bool = False
) -> tuple[PhaseResult, dict[str, Any]]:
    """One `milestones build` as of `day`, and its details."""
    outcome = phase(step, name, build, as_of=day, full_refresh=full_refresh, keep_run_results=run_results)
    return outcome, _build_details(outcome, day, phase.result.settings["dbt_threads"])


def _build_details(outcome: PhaseResult, as_of: date, threads: int | None) -> dict[str, Any]:
    details: dict[str, Any] = {"as_of": as_of.isoformat(), "exit_code": outcome.value["exit_code"]}
    path = outcome.value.get("run_results")
    if not path and outcome.value["exit_code"] == 0 and not outcome.value.get("dbt_seconds"):
        details["dbt"] = "not run: nothing changed since the last build"
        return details
    if not path:
        details["error"] = "dbt wrote no run_results.json"
        return details
    details["run_results"] = path  # read again to compare the builds, then dropped (the folder may go)
    run_results = json.loads(Path(path).read_text())
    dbt_seconds = outcome.value.get("dbt_seconds") or outcome.seconds
    details["timing"] = report.dbt_timing(run_results, dbt_seconds, threads).to_dict()
    # what `milestones build` runs after dbt (the data validations)
    details["after_dbt_s"] = round(max(0.0, outcome.seconds - dbt_seconds), 3)
    details["slowest_models"] = report.slowest_nodes(run_results, types=report.DATA_NODE_TYPES)
    details["slowest_tests"] = report.slowest_nodes(run_results, limit=5, types=report.TEST_NODE_TYPES)
    details["not_passed"] = report.failed_nodes(run_results)
    return details


def _finish(result: BenchResult, out_path: Path) -> None:
    memory_limit = result.settings.get("memory_limit")
    targets = report.check_targets(
        report.Figures(
            events=result.events,
            completed=result.succeeded,
            reference_ratio=result.reference_ratio,
            daily_ratio=result.daily_ratio,
            no_new_data_s=result.no_new_data_s,
            peak_memory_bytes=result.peak_memory_bytes,
            memory_limit_bytes=parse_size(memory_limit) if memory_limit else None,
            memory_limit_text=memory_limit,
            load_and_full_build_s=_load_and_full_build(result.load_s, result.full_build_s),
            ten_million_load_and_full_build_s=_ten_million_run(out_path.parent),
        )
    )
    result.targets = [
        {"name": t.name, "met": t.met, "verdict": t.verdict, "detail": t.detail} for t in targets
    ]
    # this process (it runs no phase itself) and, for reference, the largest of all its children
    result.settings["bench_process_peak_bytes"] = max_rss_bytes(resource.RUSAGE_SELF)
    result.settings["largest_child_peak_bytes"] = max_rss_bytes(resource.RUSAGE_CHILDREN)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    result.report_path = str(out_path.resolve())
    out_path.write_text(json.dumps(result.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    print(render(result))


def _load_and_full_build(load_s: float | None, full_build_s: float | None) -> float | None:
    """What the reference, the daily run and a 100M run are compared with."""
    return load_s + full_build_s if load_s is not None and full_build_s is not None else None


def _ten_million_run(out_dir: Path) -> float | None:
    """Load + full build of the 10M run saved beside this one (what a 100M run is compared with)."""
    saved = out_dir / f"bench_{report.TEN_MILLION}.json"
    try:
        ten_million = json.loads(saved.read_text())
        return _load_and_full_build(ten_million.get("load_s"), ten_million.get("full_build_s"))
    except (OSError, ValueError):
        return None


def render(result: BenchResult) -> str:
    """The printed report: the table, the builds' slowest nodes and overhead, the reference, the targets."""
    lines = ["", report.format_table([result.table_row()]), ""]
    if not result.succeeded:
        lines += [
            "WARNING: a build failed; its nodes after the failure were skipped and the validations may not",
            "have run, so its time is short of a passing build's and the targets are not judged.",
            "",
        ]
    lines += _build_lines("full build", result.full_build)
    lines += _build_lines("incremental build", result.incremental_build)
    lines += _build_lines("build with no new data", result.no_new_data_build)
    lines += _build_lines("build as of the next day, no new data", result.next_day_build)
    if result.incremental_build.get("models_vs_full"):
        lines.append("models costing the incremental build most (time in the full build, share of it):")
        lines.append(report.format_comparison(result.incremental_build["models_vs_full"]))
    lines += _reference_lines(result.reference)
    lines.append("targets:")
    lines += [f"  {t['verdict']:>11}  {t['name']}: {t['detail']}" for t in result.targets]
    lines.append(
        f"written to {result.report_path}"
        + (f"; work folder kept: {result.work_dir}" if result.work_dir else "")
    )
    return "\n".join(lines)


def _build_lines(title: str, details: dict[str, Any]) -> list[str]:
    """One build's status, where its time went and its slowest nodes (nothing without timing)."""
    timing = details.get("timing")
    if details.get("dbt"):
        return [f"{title} (as of {details['as_of']}, passed): dbt {details['dbt']}"]
    if not timing:
        return []
    if details.get("exit_code") == 0:
        status = "passed"
    elif details["not_passed"]:
        status = f"FAILED: {len(details['not_passed'])} dbt nodes failed or skipped"
    else:
        status = "FAILED after dbt: the data validations"
    return [
        f"{title} (as of {details['as_of']}, {status}): dbt {timing['wall_s']:,.1f}s wall, nodes busy "
        f"{timing['busy_s']:,.1f}s (sum of node times {timing['node_seconds']:,.1f}s over "
        f"{timing['threads'] or '?'} dbt threads); dbt overhead {timing['overhead_s']:,.1f}s "
        f"({timing['overhead_share']:.0%}), of which start-up and parsing {timing['startup_s']:,.1f}s; "
        f"after dbt (validations) {details['after_dbt_s']:,.1f}s",
        f"  node time by type: {report.format_by_type(timing['by_type'])}",
        "  slowest models:",
        report.format_nodes(details["slowest_models"]),
        "  slowest tests:",
        report.format_nodes(details["slowest_tests"]),
    ]


def _reference_lines(reference: dict[str, Any]) -> list[str]:
    if reference.get("error"):
        return [f"reference pipeline failed: {reference['error']}"]
    if not reference.get("seconds"):
        return []
    lines = [
        f"reference pipeline (one DuckDB process, landing files -> quarantine reasons and "
        f"fct_account_milestones): {reference['seconds']:,.1f}s, peak memory "
        f"{report.format_bytes(reference.get('peak_bytes'))}; (load + full build) / reference = "
        f"{report.format_ratio(reference.get('ratio'))}"
    ]
    if reference.get("comparison_error"):
        return [*lines, f"  not compared with the product: {reference['comparison_error']}"]
    for key, title in (
        ("event_checks", "quarantine reasons"),
        ("account_milestones", "fct_account_milestones"),
    ):
        lines += report.format_differences(title, reference.get(key))
    return lines


# ------------------------------------------------------------------------------------ environment
def _bench_environment(work: Path, memory_limit: str | None, threads: int | None) -> dict[str, str]:
    values = {
        "MILESTONES_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "MILESTONES_TARGET": "duckdb",
        # what the build writes besides the warehouse (Data Docs of the validations)
        "MILESTONES_REPORTS_DIR": str(work / "reports"),
    }
    if memory_limit:
        values["MILESTONES_DUCKDB_MEMORY_LIMIT"] = memory_limit
    if threads:
        values["MILESTONES_DUCKDB_THREADS"] = str(threads)
    if not os.environ.get("MILESTONES_DUCKDB_TEMP_DIRECTORY"):
        values["MILESTONES_DUCKDB_TEMP_DIRECTORY"] = str(work / "duckdb_tmp")
    if not os.environ.get("DBT_TARGET_PATH"):
        values["DBT_TARGET_PATH"] = str(work / "dbt" / "target")
    if not os.environ.get("DBT_LOG_PATH"):
        values["DBT_LOG_PATH"] = str(work / "dbt" / "logs")
    return values


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _setting(variable: str) -> str:
    return os.environ.get(variable) or PROFILE_DEFAULTS[variable]


def _settings(sample: Sample) -> dict[str, Any]:
    return {
        "memory_limit": _setting("MILESTONES_DUCKDB_MEMORY_LIMIT"),
        "duckdb_threads": int(_setting("MILESTONES_DUCKDB_THREADS")),
        "dbt_threads": int(_setting("MILESTONES_THREADS")),
        "temp_directory": os.environ.get("MILESTONES_DUCKDB_TEMP_DIRECTORY"),
        "duckdb_path": os.environ.get("MILESTONES_DUCKDB_PATH"),
        "seed": sample.seed,
        "days": sample.days,
        "dirty_rate": sample.dirty_rate,
        "event_files": sample.event_files,
    }


def _describe_settings(settings: dict[str, Any]) -> str:
    return (
        f"DuckDB memory_limit {settings['memory_limit']}, {settings['duckdb_threads']} DuckDB threads, "
        f"{settings['dbt_threads']} dbt threads, spilling to {settings['temp_directory']}"
    )


def _machine() -> dict[str, Any]:
    import duckdb

    try:
        from dbt.version import __version__ as dbt_version
    except ImportError:  # pragma: no cover
        dbt_version = None
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover
        load = None
    memory = None
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return {
        "cpus": os.cpu_count(),
        "memory_bytes": memory,
        "load_average_1m_at_start": round(load, 2) if load is not None else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt": str(dbt_version) if dbt_version else None,
    }


class _Progress:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def __call__(self, text: str) -> None:
        sys.stderr.write(f"bench [{self.elapsed():7.1f}s] {text}\n")
        sys.stderr.flush()
