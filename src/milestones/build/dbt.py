"""Runs dbt against this project, in a child process, with the environment the profile expects.

A child process rather than dbt's in-process runner: dbt-duckdb keeps its database handle open for
the life of the process, and the steps after a build (printing failing rows, the summary, the
validations, publishing) must open the same file themselves.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from milestones import paths

FAILED_STATUSES = {"error", "fail", "runtime error"}


@dataclass(frozen=True)
class FailedNode:
    unique_id: str
    resource_type: str
    status: str
    message: str
    failures_relation: str | None = None


@dataclass
class DbtOutcome:
    success: bool
    failed: list[FailedNode] = field(default_factory=list)
    run_results_path: Path | None = None


def profiles_dir() -> Path:
    """DBT_PROFILES_DIR if set; else the project's profiles.yml, made from the example if missing."""
    configured = os.environ.get("DBT_PROFILES_DIR")
    if configured:
        return Path(configured)
    profile = paths.PROJECT_DIR / "profiles.yml"
    if not profile.exists():
        shutil.copyfile(paths.PROJECT_DIR / "profiles.example.yml", profile)
    return paths.PROJECT_DIR


def target_dir() -> Path:
    configured = os.environ.get("DBT_TARGET_PATH")
    return Path(configured) if configured else paths.PROJECT_DIR / "target"


def prepare_environment() -> None:
    """Pin the DuckDB file and its spill folder to absolute paths: dbt resolves them from its cwd."""
    database = paths.duckdb_path()
    database.parent.mkdir(parents=True, exist_ok=True)
    os.environ["MILESTONES_DUCKDB_PATH"] = str(database)
    spill = Path(os.environ.get("MILESTONES_DUCKDB_TEMP_DIRECTORY", database.parent / ".tmp")).resolve()
    spill.mkdir(parents=True, exist_ok=True)
    os.environ["MILESTONES_DUCKDB_TEMP_DIRECTORY"] = str(spill)


def dbt_vars(as_of: date | None, extra: dict[str, object] | None = None) -> dict[str, object]:
    values: dict[str, object] = {"as_of_date": as_of.isoformat()} if as_of else {}
    values.update(extra or {})
    return values


def run_dbt(
    command: Sequence[str],
    *,
    target: str | None = None,
    variables: dict[str, object] | None = None,
) -> DbtOutcome:
    """Invoke dbt (e.g. ["build", "--full-refresh"]); its progress goes to this process's output."""
    prepare_environment()
    args = [*command, "--project-dir", str(paths.PROJECT_DIR), "--profiles-dir", str(profiles_dir())]
    if target:
        args += ["--target", target]
    if variables:
        args += ["--vars", json.dumps(variables)]
    results_path = target_dir() / "run_results.json"
    results_path.unlink(missing_ok=True)
    completed = subprocess.run([_dbt_executable(), *args], check=False)
    failed = read_failures(results_path)
    if completed.returncode != 0 and not failed:
        failed.append(FailedNode("dbt", "invocation", "error", f"dbt exited with {completed.returncode}"))
    return DbtOutcome(success=completed.returncode == 0, failed=failed, run_results_path=results_path)


def _dbt_executable() -> str:
    """The dbt of this virtualenv, beside its python (not whatever dbt comes first on PATH)."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def read_failures(results_path: Path) -> list[FailedNode]:
    """The nodes that errored or failed, from dbt's run_results.json (absent when dbt did not run)."""
    if not results_path.exists():
        return []
    results = json.loads(results_path.read_text())
    return [
        FailedNode(
            unique_id=result["unique_id"],
            resource_type=result["unique_id"].split(".", 1)[0],
            status=result["status"],
            message=(result.get("message") or "").strip(),
            failures_relation=result.get("relation_name"),
        )
        for result in results.get("results", [])
        if result["status"] in FAILED_STATUSES
    ]
