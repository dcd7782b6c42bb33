"""Where things live. Every path can be overridden by an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

# The package is installed in editable mode from the project root (src/milestones/...).
PROJECT_DIR = Path(os.environ.get("MILESTONES_PROJECT_DIR", Path(__file__).resolve().parents[2]))


def duckdb_path() -> Path:
    """The warehouse file: MILESTONES_DUCKDB_PATH, else warehouse/milestones.duckdb (docs/rules.md §2)."""
    return Path(os.environ.get("MILESTONES_DUCKDB_PATH", "warehouse/milestones.duckdb")).resolve()


def spark_dir() -> Path:
    """The local Spark target's folder (docs/rules.md §7): MILESTONES_SPARK_DIR, else warehouse/spark.
    It holds the metastore (metastore_db/), the tables dbt writes (tables/) and the raw layer
    `milestones load --target spark` writes (raw/)."""
    return Path(os.environ.get("MILESTONES_SPARK_DIR", "warehouse/spark")).resolve()


def landing_dir() -> Path:
    return Path(os.environ.get("MILESTONES_LANDING_DIR", "landing")).resolve()


def reports_dir() -> Path:
    return Path(os.environ.get("MILESTONES_REPORTS_DIR", "reports")).resolve()
