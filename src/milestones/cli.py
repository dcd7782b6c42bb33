"""The `milestones` console script (spec section 2). Each subcommand is a thin wrapper over a module."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from milestones.errors import UserError


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1: {text!r}")
    return value


class _OneLineParser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr and exit code 2 (spec section 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="milestones", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    demo = commands.add_parser("demo", help="generate (if nothing is landed), load, build, export, report")
    demo.add_argument("--accounts", type=_positive_int, default=2000)
    demo.add_argument("--days", type=_positive_int, default=240)

    generate = commands.add_parser("generate", help="write a realistic landing folder")
    generate.add_argument("--accounts", type=_positive_int, required=True)
    generate.add_argument("--days", type=_positive_int, required=True)
    generate.add_argument("--seed", type=int, required=True)
    generate.add_argument("--out", type=Path, required=True)
    generate.add_argument("--dirty-rate", type=_rate, default=0.0)
    generate.add_argument("--end-date", type=_iso_date, default=None, help="last day of data")

    load = commands.add_parser("load", help="load every landing file of DIR into the raw layer")
    load.add_argument("directory", type=Path)
    load.add_argument("--target", default=None, help="dbt target (default: the profile's)")

    build = commands.add_parser("build", help="dbt build (models, snapshots, tests) and validations")
    build.add_argument("--as-of", type=_iso_date, default=None, help="'today' (UTC date)")
    build.add_argument("--full-refresh", action="store_true")
    build.add_argument("--target", default=None)
    build.add_argument("--select", default=None, help="dbt selection (default: everything)")

    bench = commands.add_parser("bench", help="time load, full and incremental builds on N generated events")
    bench.add_argument("--events", type=_positive_int, default=10_000_000)
    bench.add_argument("--out", type=Path, default=None, help="folder of bench_<N>.json")
    bench.add_argument("--work-dir", type=Path, default=None, help="work folder parent (.tmp/bench/)")
    bench.add_argument("--keep", action="store_true", help="keep the work folder")
    bench.add_argument("--memory-limit", default=None, help="DuckDB memory_limit for the run, e.g. 4GB")
    bench.add_argument("--threads", type=_positive_int, default=None, help="DuckDB threads for the run")

    report = commands.add_parser("report", help="write the HTML report")
    report.add_argument("--target", default=None)
    report.add_argument("--out", type=Path, default=None, help="file or folder (default: reports/)")
    export = commands.add_parser("export", help="write the CRM change feed")
    export.add_argument("--target", default=None)
    export.add_argument("--out-dir", type=Path, default=None, help="default: reports/exports/")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except UserError as error:
        sys.stderr.write(f"milestones {args.command}: {error}\n")
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "generate":
        from milestones.sample import generate

        summary = generate(
            accounts=args.accounts,
            days=args.days,
            seed=args.seed,
            out=args.out,
            dirty_rate=args.dirty_rate,
            end_date=args.end_date,
        )
        print(summary)
        return 0
    if args.command == "load":
        from milestones.load import load_directory

        print(load_directory(args.directory, target=args.target))
        return 0
    if args.command == "build":
        from milestones.build import run_build

        return run_build(
            as_of=args.as_of, full_refresh=args.full_refresh, target=args.target, select=args.select
        )
    if args.command == "demo":
        from milestones.demo import run_demo

        return run_demo(accounts=args.accounts, days=args.days)
    if args.command == "bench":
        from milestones.bench import run_bench

        return run_bench(
            events=args.events,
            out_dir=args.out,
            keep=args.keep,
            memory_limit=args.memory_limit,
            threads=args.threads,
            work_dir=args.work_dir,
        ).exit_code
    if args.command == "report":
        from milestones.delivery.report import write_report

        print(f"report: {write_report(target=args.target, out=args.out)}")
        return 0
    if args.command == "export":
        from milestones.delivery.export import export_changes

        print(export_changes(target=args.target, out_dir=args.out_dir))
        return 0
    raise UserError(f"'{args.command}' is not built yet")


if __name__ == "__main__":
    sys.exit(main())
