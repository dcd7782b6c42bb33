"""Asks dbt whether the four seeds a user edits keep their rules (docs/rules.md §4).

The rules are dbt tests (macros/generic_tests/user_seeds_are_well_formed.sql and the column tests in
seeds/_seeds__models.yml), which `milestones build` runs with everything else. The generator runs
before any warehouse exists, so it asks dbt here: a throwaway dbt project with this project's macros,
seeds and the models the tests read, and the seeds to check in place of its own, is seeded into a
throwaway DuckDB file and those tests run. A failure becomes a UserError with the rows the tests
name, as `milestones build` prints them. A pass is remembered (in dbt's target folder, by a hash of
the throwaway project), so generating again from the same seeds does not wait for dbt again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from milestones import paths
from milestones.build.dbt import (
    FailedNode,
    _dbt_executable,
    first_meaningful_line,
    profiles_dir,
    read_failures,
    target_dir,
)
from milestones.errors import UserError
from milestones.user_seeds import SEED_HEADERS

# The tests that hold the seeds' rules. `+` builds what they read too (the seeds, and the model that
# splits depends_on); the column tests of those seeds come along by indirect selection.
SEED_TESTS = ("tracking_plan_is_well_formed", "criteria_are_well_formed", "milestones_are_well_formed")
# The models those tests read (milestones_are_well_formed matches depends_on through this one). Only
# these are copied: parsing every model would double the time the check takes.
TESTED_MODELS = ("int_milestone_dependencies",)
DATABASE = "seed_check.duckdb"
MAX_PROBLEMS = 5


def check_seeds(seeds_dir: Path) -> None:
    """Raises a UserError naming the bad rows when the seeds in `seeds_dir` break a rule."""
    with tempfile.TemporaryDirectory(prefix="milestones-seed-check-") as work:
        work_dir = Path(work)
        project = _project_copy(work_dir, Path(seeds_dir))
        passed = target_dir() / "seed_check" / f"{files_digest(project)}.passed"
        if passed.exists():
            return
        output = _run_seed_tests(project, work_dir)
        results = work_dir / "target" / "run_results.json"
        failed = read_failures(results)
        if failed:
            raise UserError(_message([line for node in failed for line in _problems(node, work_dir)]))
        if not results.exists():  # dbt stopped before running anything (it says why last)
            raise UserError(_message([_last_line(output)]))
        passed.parent.mkdir(parents=True, exist_ok=True)
        passed.touch()


def _project_copy(work_dir: Path, seeds_dir: Path) -> Path:
    """The project's dbt files the seed tests need, with the four seeds a user edits from `seeds_dir`."""
    project = work_dir / "project"
    (project / "models").mkdir(parents=True)
    shutil.copyfile(paths.PROJECT_DIR / "dbt_project.yml", project / "dbt_project.yml")
    shutil.copytree(paths.PROJECT_DIR / "macros", project / "macros")
    for model in TESTED_MODELS:
        (source,) = (paths.PROJECT_DIR / "models").rglob(f"{model}.sql")
        shutil.copyfile(source, project / "models" / source.name)
    shutil.copytree(paths.PROJECT_DIR / "seeds", project / "seeds")
    for name in SEED_HEADERS:
        shutil.copyfile(seeds_dir / name, project / "seeds" / name)
    return project


def files_digest(root: Path, parts: Sequence[str] = (".",)) -> str:
    """A hash of every file under `parts` of `root` (a folder or a file): the same files get the same
    verdict."""
    digest = hashlib.sha256()
    for part in parts:
        found = (root / part).rglob("*") if (root / part).is_dir() else [root / part]
        for path in sorted(p for p in found if p.is_file()):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _run_seed_tests(project: Path, work_dir: Path) -> str:
    """dbt build of the seed tests and what they read; returns dbt's output."""
    command = [
        _dbt_executable(),
        "build",
        "--select",
        *(f"+test_name:{name}" for name in SEED_TESTS),
        "--indirect-selection",
        "cautious",
        "--exclude",
        "test_type:unit",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(profiles_dir()),
        "--target",
        "duckdb",
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    environment = {
        **os.environ,
        "MILESTONES_DUCKDB_PATH": str(work_dir / DATABASE),
        "MILESTONES_DUCKDB_TEMP_DIRECTORY": str(work_dir / "spill"),
    }
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    return completed.stdout + completed.stderr


def _problems(node: FailedNode, work_dir: Path) -> list[str]:
    """The `problem` rows a failing seed test stored, else dbt's own message for the node."""
    if node.failures_relation and node.status == "fail":
        import duckdb

        with duckdb.connect(str(work_dir / DATABASE), read_only=True) as connection:
            cursor = connection.execute(f"select * from {node.failures_relation}")
            columns = [description[0] for description in cursor.description]
            if "problem" in columns:
                return [str(row[columns.index("problem")]) for row in cursor.fetchall()]
    name = node.unique_id.split(".")[2] if node.unique_id.count(".") >= 2 else node.unique_id
    return [f"{name}: {first_meaningful_line(node.message) or node.status}"]


def _message(problems: list[str]) -> str:
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"and {len(problems) - MAX_PROBLEMS} more")
    return "the seeds break the rules of docs/rules.md §4: " + "; ".join(shown)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "dbt failed without a message"
