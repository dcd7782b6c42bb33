"""DuckDB's settings have one default, whichever opens the warehouse: dbt through the profile, or the
loader, the validation, the publish and the bench through milestones.warehouse."""

from __future__ import annotations

import duckdb
import yaml

from milestones import paths
from milestones.warehouse import DEFAULT_MEMORY_LIMIT, duckdb_config


def test_the_profile_and_the_python_connections_share_the_memory_limit(monkeypatch) -> None:
    profile = yaml.safe_load((paths.PROJECT_DIR / "profiles.example.yml").read_text())
    duckdb_output = profile["milestone_warehouse"]["outputs"]["duckdb"]
    written = duckdb_output["config_options"]["memory_limit"]
    assert f"env_var('MILESTONES_DUCKDB_MEMORY_LIMIT', '{DEFAULT_MEMORY_LIMIT}')" in written

    monkeypatch.delenv("MILESTONES_DUCKDB_MEMORY_LIMIT", raising=False)
    assert duckdb_config()["memory_limit"] == DEFAULT_MEMORY_LIMIT
    with duckdb.connect(":memory:", config=duckdb_config()) as connection:
        (limit,) = connection.execute("select current_setting('memory_limit')").fetchone()
    assert limit.endswith("GiB") and 3.0 < float(limit.split()[0]) < 3.5, limit  # 3.5 GB = 3.26 GiB

    monkeypatch.setenv("MILESTONES_DUCKDB_MEMORY_LIMIT", "1GB")
    assert duckdb_config()["memory_limit"] == "1GB"
