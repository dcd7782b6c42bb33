"""`milestones bench`: generate N events, load, build from scratch, land one more day and build
incrementally; time every phase, measure peak memory, compare with a hand-written DuckDB query and check
the performance targets of issue 7."""

from milestones.bench.core import DEFAULT_EVENTS, BenchResult, run_bench

__all__ = ["DEFAULT_EVENTS", "BenchResult", "run_bench"]
