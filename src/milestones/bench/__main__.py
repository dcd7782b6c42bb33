"""`python -m milestones.bench`: the bench without the console script (same options as `milestones bench`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from milestones.bench.core import DEFAULT_EVENTS, run_bench
from milestones.errors import UserError


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m milestones.bench", description=__doc__)
    parser.add_argument("--events", type=_positive_int, default=DEFAULT_EVENTS, help="event rows to generate")
    parser.add_argument(
        "--out", type=Path, default=None, help="folder of bench_<N>.json (default reports/bench)"
    )
    parser.add_argument("--work-dir", type=Path, default=None, help="where the work folder goes (.tmp/bench)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (landing files, warehouse)")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit for the run, e.g. 4GB")
    parser.add_argument("--threads", type=_positive_int, default=None, help="DuckDB threads for the run")
    args = parser.parse_args(argv)
    try:
        result = run_bench(
            events=args.events,
            out_dir=args.out,
            keep=args.keep,
            memory_limit=args.memory_limit,
            threads=args.threads,
            work_dir=args.work_dir,
        )
    except UserError as error:
        sys.stderr.write(f"milestones bench: {error}\n")
        return 2
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
