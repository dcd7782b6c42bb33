"""Runs dbt in-process against this project, with the environment the profile expects."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from milestones import paths


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
    """Invoke dbt (e.g. ["build", "--full-refresh"]) and collect what failed."""
    from dbt.cli.main import dbtRunner

    prepare_environment()
    args = [*command, "--project-dir", str(paths.PROJECT_DIR), "--profiles-dir", str(profiles_dir())]
    if target:
        args += ["--target", target]
    if variables:
        args += ["--vars", json.dumps(variables)]
    result = dbtRunner().invoke(args)
    failed: list[FailedNode] = []
    executed = getattr(result.result, "results", None) or []
    for node_result in executed:
        status = str(node_result.status)
        if status in {"error", "fail", "runtime error"}:
            node = node_result.node
            failed.append(
                FailedNode(
                    unique_id=node.unique_id,
                    resource_type=str(node.resource_type),
                    status=status,
                    message=node_result.message or "",
                    failures_relation=getattr(node, "relation_name", None)
                    if str(node.resource_type) == "test"
                    else None,
                )
            )
    if result.exception is not None and not failed:
        failed.append(FailedNode("dbt", "invocation", "error", str(result.exception)))
    target_dir = paths.PROJECT_DIR / "target" / "run_results.json"
    return DbtOutcome(success=result.success, failed=failed, run_results_path=target_dir)
