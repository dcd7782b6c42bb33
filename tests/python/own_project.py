"""A copy of the dbt project whose seeds a test chooses: another company's definitions (docs/rules.md §4).

`milestones` reads its dbt project from MILESTONES_PROJECT_DIR (src/milestones/paths.py), so a copy of
the project's dbt files with other seeds in seeds/ is a build of another product's definitions, and
the checkout's seeds stay as they are.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from milestones import paths

# the dbt project as dbt reads it (dbt_project.yml's paths); nothing else is needed to build it
DBT_PROJECT_PARTS = (
    "dbt_project.yml",
    "profiles.example.yml",
    "models",
    "macros",
    "seeds",
    "snapshots",
    "tests/dbt",
)
FOUR_SEEDS = ("tracking_plan_events", "tracking_plan_properties", "milestones", "milestone_criteria")
OPTIONAL_SEEDS = (
    "segment_settings",
    "health_score_weights",
    "health_score_bands",
    "journey_stages",
    "experiments",
)


def copy_project(destination: Path, seeds_dir: Path | None = None, header_only: tuple[str, ...] = ()) -> Path:
    """The dbt project copied to `destination`; every `<seed>.csv` of `seeds_dir` replaces the project's
    seed of that name, and each seed named in `header_only` keeps its header and no rows."""
    for part in DBT_PROJECT_PARTS:
        source = paths.PROJECT_DIR / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            (destination / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination / part)
    seeds = destination / "seeds"
    for seed in sorted(Path(seeds_dir).glob("*.csv")) if seeds_dir else []:
        shutil.copyfile(seed, seeds / seed.name)
    for name in header_only:
        empty_seed(seeds / f"{name}.csv")
    return destination


def empty_seed(path: Path) -> None:
    """Keeps the seed's header line only: the seed exists, with no rows."""
    with path.open(newline="", encoding="utf-8") as seed:
        header = next(csv.reader(seed))
    with path.open("w", newline="", encoding="utf-8") as seed:
        csv.writer(seed, lineterminator="\n").writerow(header)


def run_milestones(args: list[str], env: dict[str, str]) -> None:
    """Runs a `milestones` command in another process (the project folder is read at import time);
    a failure fails the test with the command's last words."""
    cli = str(Path(sys.executable).with_name("milestones"))
    result = subprocess.run([cli, *args], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        where = env.get("MILESTONES_PROJECT_DIR", str(paths.PROJECT_DIR))
        pytest.fail(
            f"`milestones {' '.join(args)}` failed (exit {result.returncode}) in {where}:\n{tail}",
            pytrace=False,
        )


def build_own_project(work: Path, landing: Path, definitions: Path, as_of: date) -> tuple[Path, Path]:
    """A copy of the project in `work` holding the seeds of `definitions` (every optional seed
    header-only), with `landing` loaded and built as of `as_of`; returns (project, warehouse file)."""
    project = copy_project(work / "project", seeds_dir=definitions, header_only=OPTIONAL_SEEDS)
    database = work / "warehouse.duckdb"
    env = {
        **os.environ,
        "MILESTONES_PROJECT_DIR": str(project),
        "MILESTONES_DUCKDB_PATH": str(database),
        "MILESTONES_TARGET": "duckdb",
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "MILESTONES_REPORTS_DIR": str(work / "reports"),
    }
    run_milestones(["load", str(landing)], env)
    run_milestones(["build", "--as-of", as_of.isoformat()], env)
    return project, database
