"""`milestones generate`: a realistic, deterministic landing folder for the demo product, driven by the
seeds (the milestone events of each account meet the seeded criteria at drawn instants)."""

from typing import Any

__all__ = ["GenerateSummary", "generate"]


def __getattr__(name: str) -> Any:
    # The generator (numpy, pyarrow) is imported when something is generated, not when the console
    # script only reads the choices in milestones.sample.options.
    if name in __all__:
        from milestones.sample import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
