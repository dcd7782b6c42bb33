"""The `milestones` console script (docs/rules.md §2). Each subcommand is a thin wrapper over a module.

Every command explains itself (`milestones <command> --help`: what it does, an example, each option
with its default) and ends a failure with a short message and exit code 1; bad arguments and unknown
targets give one line and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import traceback
from datetime import date
from pathlib import Path

from milestones.bench import options as bench_options
from milestones.errors import UserError
from milestones.sample import options as sample_options
from milestones.warehouse import TARGETS

DESCRIPTION = """\
Milestones for customer success: turns a SaaS product's raw events into the milestones each account
has reached, how fast, which accounts are stalled, and the intervention each stalled account needs.

The job: land event and account files in a folder, `load` them into the warehouse, `build` it, then
read the HTML `report` or send the CRM change feed (`export`). `demo` does all of it on sample data.
"""

EPILOG = """\
examples:
  milestones demo                          everything, on generated sample data
  milestones load landing/                 load your landing files
  milestones build --as-of 2026-09-30      build the warehouse as of a day
  milestones history --from 2026-06-01     fill the customer record's past days
  milestones build --help                  one command's options

The warehouse is warehouse/milestones.duckdb unless MILESTONES_DUCKDB_PATH names
another file; MILESTONES_TARGET=postgres selects PostgreSQL instead. Exit codes:
0 done, 1 a failure (a failed build, a locked warehouse), 2 bad arguments or an
unknown target. The rules the commands follow: docs/rules.md.
"""

HELP_WIDTH = 79
TARGET_HELP = (
    f"the warehouse, one of {', '.join(TARGETS)}: duckdb is the file MILESTONES_DUCKDB_PATH, postgres "
    "the server of the MILESTONES_PG_* variables, spark the local Spark of the folder MILESTONES_SPARK_DIR "
    "(default: MILESTONES_TARGET, else duckdb)"
)
AS_OF_HELP = (
    "the day to build as of, YYYY-MM-DD, a UTC date: only events that occurred on or before it count, "
    "and every 'days' figure is measured to it (default: today's UTC date; `milestones demo` builds as "
    "of the last day of its data)"
)


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


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples as written; each option's default after its help, unless the help
    says it already (a default decided when the command runs, like today's date, is said in words)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            action.required
            or not action.option_strings
            or default is None
            or default is False
            or default == argparse.SUPPRESS
            or "default" in text.lower()
        ):
            return text
        return f"{text} (default: %(default)s)"


class _OneLineParser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr and exit code 2 (docs/rules.md §2). Every command's parser
    is one of these, so each help page is formatted alike."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def _command(
    commands: argparse._SubParsersAction, name: str, summary: str, description: str, example: str
) -> argparse.ArgumentParser:
    """A subcommand with its one-line summary (in `milestones --help`), what it does, and an example."""
    return commands.add_parser(
        name, help=summary, description=_fill(description), epilog=f"example:\n  {example}"
    )


def _fill(text: str) -> str:
    """Paragraphs (separated by a blank line) wrapped for an 80-column terminal."""
    return "\n\n".join(
        textwrap.fill(" ".join(paragraph.split()), HELP_WIDTH) for paragraph in text.split("\n\n")
    )


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", default=None, metavar="TARGET", help=TARGET_HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="milestones", description=_fill(DESCRIPTION), epilog=EPILOG)
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_OneLineParser, metavar="<command>", title="commands"
    )

    demo = _command(
        commands,
        "demo",
        "everything on sample data: generate, load, build, export, report",
        "The whole job on the embedded DuckDB warehouse: generates sample landing files into landing/ "
        "when it holds none, loads them, builds as of the last day of the data (validations included), "
        "exports the CRM change feed and writes the HTML report, then prints a summary: accounts, "
        "milestones completed, stalled accounts, the top interventions and where the report is.",
        "milestones demo --accounts 500 --days 120",
    )
    demo.add_argument(
        "--accounts",
        type=_positive_int,
        default=2000,
        metavar="N",
        help="accounts to generate when landing/ is empty",
    )
    demo.add_argument(
        "--days",
        type=_positive_int,
        default=240,
        metavar="DAYS",
        help="days of events to generate when landing/ is empty",
    )

    generate = _command(
        commands,
        "generate",
        "write a realistic landing folder of sample data",
        "Writes a realistic landing folder (docs/rules.md §3): accounts, renewals, milestone overrides, "
        "experiment assignments and product events as CSV, JSON Lines and Parquet, with the milestones "
        "of seeds/ (or of --seeds DIR) reached at realistic speeds. The same arguments write the same bytes.",
        "milestones generate --accounts 300 --days 240 --seed 7 --dirty-rate 0.02 --out landing/",
    )
    generate.add_argument(
        "--accounts", type=_positive_int, required=True, metavar="N", help="number of accounts"
    )
    generate.add_argument(
        "--days",
        type=_positive_int,
        required=True,
        metavar="DAYS",
        help="days of events, ending on --end-date",
    )
    generate.add_argument(
        "--seed", type=int, required=True, help="random seed: the same seed, the same files"
    )
    generate.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder to write (made if missing)"
    )
    generate.add_argument(
        "--dirty-rate",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="share of events spoiled on purpose (at least 0, below 1), to show the quarantine at work",
    )
    generate.add_argument(
        "--end-date",
        type=_iso_date,
        default=None,
        metavar="YYYY-MM-DD",
        help=f"last day of data, YYYY-MM-DD (UTC) "
        f"(default: {sample_options.DEFAULT_END_DATE}, fixed so runs repeat)",
    )
    generate.add_argument(
        "--seeds",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder holding the four seeds that define the product and its milestones "
        "(tracking_plan_events.csv, tracking_plan_properties.csv, milestones.csv, milestone_criteria.csv) "
        "(default: the project's seeds/)",
    )
    generate.add_argument(
        "--event-files",
        choices=sample_options.EVENT_FILES,
        default=sample_options.DEFAULT_EVENT_FILES,
        help="mixed: a JSON Lines file per chunk of accounts, the last one Parquet; parquet: Parquet files "
        "but the first, much smaller on disk; the same rows either way "
        f"(default: {sample_options.DEFAULT_EVENT_FILES})",
    )

    load = _command(
        commands,
        "load",
        "load every landing file of a folder into the warehouse",
        "Loads every landing file of DIR (events*, accounts*, renewals*, milestone_overrides*, "
        "experiment_assignments*; CSV, JSON Lines or Parquet) into the warehouse's raw layer, as text: "
        "nothing is parsed or dropped at load time. A file whose content was loaded before is skipped, "
        "so loading the same folder again adds nothing.",
        "milestones load landing/",
    )
    load.add_argument(
        "directory", type=Path, metavar="DIR", help="folder of landing files (sub-folders are not read)"
    )
    _add_target(load)

    build = _command(
        commands,
        "build",
        "build the warehouse (dbt models, snapshots, tests) and validate it",
        "Runs the dbt build (seeds, models, snapshots, tests) as of a day, then the data validations; "
        "after a green build on DuckDB, publishes the serving file BI tools read. dbt's progress goes to "
        "stdout (on a terminal, a bar of the nodes done stands for its line per node); a failure ends "
        "with a short summary on stderr naming what failed, and dbt's full log "
        "stays in logs/dbt.log (or under DBT_LOG_PATH). `milestones demo` builds as of the last day of "
        "its data."
        "\n\n"
        "Delivery never moves backwards by accident: a build as of a day earlier than the last delivered "
        "one is an analysis build. It builds the models as of that day but leaves the CRM snapshot, the "
        "change feed and the serving file as they were, and says so in one line; --move-delivery-back "
        "delivers it instead.",
        "milestones build --as-of 2026-09-30",
    )
    build.add_argument("--as-of", type=_iso_date, default=None, metavar="YYYY-MM-DD", help=AS_OF_HELP)
    build.add_argument(
        "--full-refresh", action="store_true", help="rebuild the incremental tables from scratch"
    )
    build.add_argument(
        "--move-delivery-back",
        action="store_true",
        help="deliver a build whose --as-of is earlier than the last delivered one (docs/rules.md §6): "
        "without it such a build only analyses the past and leaves the CRM snapshot, the change feed "
        "and the serving file as they were; with it they move back to that day and the move is recorded "
        "(default: off)",
    )
    _add_target(build)
    build.add_argument(
        "--select",
        default=None,
        metavar="SELECTION",
        help="dbt node selection, e.g. 'fct_account_milestones+' or 'resource_type:seed' (default: all)",
    )

    history = _command(
        commands,
        "history",
        "fill past days of the customer record's history, point in time",
        "Fills fct_account_status_history (one row per account and day: health score and band, "
        "milestones completed, current milestone, stalled flag) for the days from --from to --to, "
        "each with what a build as of that day would have written: only events that occurred on or "
        "before it count (docs/rules.md §6, docs/history.md). Every `milestones build` writes its own "
        "as-of day; this fills the days before it, from the warehouse as last built, in a few set-based "
        "dbt runs rather than one build per day. Filling a day again replaces its rows.",
        "milestones history --from 2026-06-01 --to 2026-09-30 --grain week",
    )
    history.add_argument(
        "--from",
        dest="start",
        type=_iso_date,
        required=True,
        metavar="YYYY-MM-DD",
        help="first day to fill (UTC date)",
    )
    history.add_argument(
        "--to",
        dest="end",
        type=_iso_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="last day to fill, at most the day the warehouse was built as of "
        "(default: that day, the as_of_date of dim_account_milestone_status)",
    )
    history.add_argument(
        "--grain",
        choices=("day", "week"),
        default="day",
        help="day: every day; week: --from and every 7th day after it, and --to",
    )
    history.add_argument(
        "--batch-days",
        type=_positive_int,
        default=None,
        metavar="N",
        help="days computed per dbt run (default: chosen from the number of accounts to bound each run's "
        "memory, see docs/history.md)",
    )
    _add_target(history)

    bench = _command(
        commands,
        "bench",
        "time load, full and incremental builds on N generated events",
        bench_options.DESCRIPTION,
        bench_options.EXAMPLE,
    )
    bench_options.add_arguments(bench)

    report = _command(
        commands,
        "report",
        "write the HTML report",
        "Writes one self-contained HTML report of the warehouse's marts (milestone completion, stalls, "
        "the intervention queue, the event contract); it opens without a network connection.",
        "milestones report --out reports/",
    )
    _add_target(report)
    report.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="PATH",
        help="file, or folder to write milestone_report.html into "
        "(default: MILESTONES_REPORTS_DIR, else reports/)",
    )

    export = _command(
        commands,
        "export",
        "write the CRM change feed",
        "Writes the CRM change feed: the accounts whose synced fields changed since the previous export, "
        "as a new JSON Lines file under <DIR>/crm_account_milestone_sync/ for a reverse-ETL tool.",
        "milestones export --out-dir reports/exports/",
    )
    _add_target(export)
    export.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="feed folder (default: MILESTONES_EXPORT_DIR, else exports/ under the reports folder)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except UserError as error:
        sys.stderr.write(f"milestones {args.command}: {error}\n")
        return error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(f"milestones {args.command}: interrupted\n")
        return 130
    except Exception as error:  # a bug, or a failure nobody foresaw: still one line
        return _unexpected(args.command, error)


def _unexpected(command: str, error: Exception) -> int:
    """One line, and the traceback in a file beside dbt's log for a bug report."""
    from milestones.build.dbt import log_dir

    path = log_dir() / "milestones_error.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(traceback.format_exc())
    except OSError:
        traceback.print_exc()
        return 1
    first_line = (str(error).strip().splitlines() or [""])[0]
    sys.stderr.write(f"milestones {command}: {type(error).__name__}: {first_line} (traceback: {path})\n")
    return 1


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
            seeds_dir=args.seeds,
            event_files=args.event_files,
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
            as_of=args.as_of,
            full_refresh=args.full_refresh,
            target=args.target,
            select=args.select,
            move_delivery_back=args.move_delivery_back,
        )
    if args.command == "history":
        from milestones.build.history import run_history

        return run_history(
            start=args.start, end=args.end, grain=args.grain, target=args.target, batch_days=args.batch_days
        )
    if args.command == "demo":
        from milestones.demo import run_demo

        return run_demo(accounts=args.accounts, days=args.days)
    if args.command == "bench":
        return bench_options.run(args)
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
