"""`milestones bench`: generate N events, load, build from scratch, land one more day and build
incrementally; time every phase, measure peak memory, compare with a hand-written DuckDB pipeline and check
the performance targets of docs/performance.md."""

from typing import Any

from milestones.bench.options import DEFAULT_EVENTS, add_arguments

__all__ = ["DEFAULT_EVENTS", "BenchResult", "add_arguments", "run_bench"]


def __getattr__(name: str) -> Any:
    # The runner (multiprocessing, the phases) is imported when a bench runs, not when the console
    # script only builds its parser.
    if name in ("BenchResult", "run_bench"):
        from milestones.bench import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
