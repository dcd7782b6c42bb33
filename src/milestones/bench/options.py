"""The options of the bench, defined once for `milestones bench` and `python -m milestones.bench`.

Light on purpose (argparse only): the console script builds its parser on every command.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from milestones.sample import options as sample_options

DEFAULT_EVENTS = 10_000_000


def positive_int(text: str) -> int:
    """A whole number above 0; digits may be grouped with underscores (10_000_000)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


DESCRIPTION = (
    "Times what a build costs and where the time goes (docs/performance.md): generates about N event "
    "rows, holds back the last day, loads the rest and builds from scratch, times a hand-written DuckDB "
    "pipeline from the same landing files to the same tables and checks it row for row, then lands the "
    "held-back day and builds incrementally. "
    "Every phase runs in a process of its own, timed with its peak memory; the result is printed, "
    "checked against the performance targets and saved as bench_<N>.json. Everything happens in a work "
    "folder: the project's warehouse is never touched."
)
EXAMPLE = "milestones bench --events 1_000_000 --memory-limit 4GB"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the bench's options to `parser`."""
    parser.add_argument(
        "--events",
        type=positive_int,
        default=DEFAULT_EVENTS,
        metavar="N",
        help="event rows to generate (default: 10_000_000)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of bench_<N>.json (default: reports/bench/)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the work folder is made (default: .tmp/bench/)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder (landing files, warehouse) after the run"
    )
    parser.add_argument(
        "--memory-limit",
        default=None,
        metavar="SIZE",
        help="DuckDB memory_limit for the run, e.g. 4GB (default: MILESTONES_DUCKDB_MEMORY_LIMIT, else the "
        "profile's 3.5GB)",
    )
    parser.add_argument(
        "--event-files",
        choices=sample_options.EVENT_FILES,
        default=sample_options.DEFAULT_EVENT_FILES,
        help="the landing files of the events, as `milestones generate --event-files` writes them: mixed "
        "(JSON Lines, some Parquet and CSV) or parquet (far less disk, for 100M events) "
        f"(default: {sample_options.DEFAULT_EVENT_FILES})",
    )
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the hand-written reference pipeline and its check (no ratio is printed)",
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        metavar="N",
        help="DuckDB threads for the run (default: MILESTONES_DUCKDB_THREADS, else 2)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the bench with the options `add_arguments` parsed; return its exit code."""
    from milestones.bench.core import Sample, run_bench

    return run_bench(
        events=args.events,
        out_dir=args.out,
        keep=args.keep,
        memory_limit=args.memory_limit,
        threads=args.threads,
        work_dir=args.work_dir,
        sample=Sample(event_files=args.event_files),
        reference=not args.no_reference,
    ).exit_code
