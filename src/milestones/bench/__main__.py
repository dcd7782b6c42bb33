"""`python -m milestones.bench`: the bench without the console script (same options as `milestones bench`)."""

from __future__ import annotations

import argparse
import sys

from milestones.bench import options
from milestones.errors import UserError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m milestones.bench", description=options.DESCRIPTION, epilog=__doc__
    )
    options.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return options.run(args)
    except UserError as error:
        sys.stderr.write(f"milestones bench: {error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
