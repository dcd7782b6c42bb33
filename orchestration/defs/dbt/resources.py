"""The dbt project as dagster-dbt sees it: the repository root, the project's profiles, and a manifest
that is there before the definitions load (parsed on the spot when missing, e.g. on a fresh clone)."""

from __future__ import annotations

import os
import shutil
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from milestones import paths
from milestones.build.dbt import prepare_environment, profiles_dir, run_dbt


def target_path() -> Path:
    """dbt's artifacts folder: DBT_TARGET_PATH (as dbt reads it), else target/ under the project."""
    return Path(os.environ.get("DBT_TARGET_PATH", "target"))


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(
        project_dir=paths.PROJECT_DIR, profiles_dir=profiles_dir(), target_path=target_path()
    )
    # `dagster dev` re-parses on every load so edits show up at once (what `prepare_if_dev` does, but
    # with the dbt of this environment, which need not be on PATH); anywhere else the manifest is
    # parsed only when it is missing or older than the project's files (a fresh clone, an edit).
    prepare_environment()
    if using_dagster_dev() or manifest_is_stale(project.manifest_path, project.project_dir):
        parse_project()
    return project


def parse_project() -> None:
    """`dbt parse`, in-process: writes the manifest the asset definitions are made from."""
    outcome = run_dbt(["parse", "--quiet"])
    if not outcome.success:
        details = "; ".join(f"{failed.unique_id}: {failed.message}" for failed in outcome.failed)
        raise RuntimeError(
            f"dbt parse failed, so the dbt assets cannot be defined ({details}); run `dbt parse` to see why"
        )


PROJECT_FOLDERS = ("models", "seeds", "snapshots", "macros", "tests/dbt", "analyses")
PROJECT_FILES = ("dbt_project.yml", "packages.yml", "dependencies.yml")


def manifest_is_stale(manifest_path: Path, project_dir: Path) -> bool:
    """True when there is no manifest, or a project file (model, seed, test, macro, dbt_project.yml)
    changed after it was written: the assets would not match what `dbt build` then runs."""
    if not manifest_path.exists():
        return True
    written = manifest_path.stat().st_mtime
    candidates = [project_dir / name for name in PROJECT_FILES]
    for folder in PROJECT_FOLDERS:
        root = project_dir / folder
        if root.is_dir():
            candidates += [path for path in root.rglob("*") if path.is_file()]
    return any(path.exists() and path.stat().st_mtime > written for path in candidates)


def dbt_executable() -> str:
    """The dbt of this Python environment: `dagster dev` may run without the venv's bin on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable())
