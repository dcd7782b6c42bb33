"""`milestones build`: the dbt build and the steps that read it (validation, publishing)."""

from milestones.build.run import run_build

__all__ = ["run_build"]
