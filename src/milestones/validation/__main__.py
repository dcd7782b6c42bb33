"""`python -m milestones.validation [--target T] [--data-docs DIR] [--new-rows] [--list]`: validate the
built warehouse: every event row, or with --new-rows only those the builds checked since the last passed
validation (what `milestones build` does).

Exit code 0 when every expectation passed, 1 when one failed, 2 on a usage or input error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from milestones.errors import UserError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m milestones.validation", description=__doc__)
    parser.add_argument("--target", default=None, help="dbt target (default: MILESTONES_TARGET, else duckdb)")
    parser.add_argument(
        "--data-docs", type=Path, default=None, help="Data Docs folder (default reports/data_docs)"
    )
    parser.add_argument("--seeds", type=Path, default=None, help="folder with the tracking plan CSVs")
    parser.add_argument(
        "--new-rows",
        action="store_true",
        help="only the rows checked since the last passed validation (what milestones build reads)",
    )
    parser.add_argument("--list", action="store_true", help="print the generated suites and exit")
    args = parser.parse_args(argv)
    try:
        if args.list:
            from milestones.validation.suites import describe_suites, generate_suites

            print(json.dumps(describe_suites(generate_suites(seeds_dir=args.seeds)), indent=2))
            return 0
        from milestones.validation.runner import validate_warehouse

        report = validate_warehouse(
            args.target, args.data_docs, seeds_dir=args.seeds, everything=not args.new_rows
        )
    except UserError as error:
        sys.stderr.write(f"validation: {error}\n")
        return 2
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
