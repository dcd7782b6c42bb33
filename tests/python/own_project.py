"""A copy of the dbt project whose seeds a test chooses: another company's definitions (docs/rules.md §4).

`milestones` reads its dbt project from MILESTONES_PROJECT_DIR (src/milestones/paths.py), so a copy of
the project's dbt files with other seeds in seeds/ is a build of another product's definitions, and
the checkout's seeds stay as they are.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

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
