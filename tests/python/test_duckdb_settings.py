"""DuckDB's settings have one default, whichever opens the warehouse: dbt through the profile, or the
loader, the validation, the publish and the bench through milestones.warehouse; the project's own
Python connections other than the loader's get a share of the memory limit."""

from __future__ import annotations

import re

import duckdb
import pytest
import yaml

from milestones import paths
from milestones.build.dbt import run_dbt
from milestones.delivery import publish
from milestones.warehouse import (
    DBT_MEMORY_LIMIT_ENV,
    DBT_MEMORY_SHARE,
    DEFAULT_MEMORY_LIMIT,
    PYTHON_MEMORY_SHARE,
    DuckDBWarehouse,
    duckdb_config,
    parse_size,
)


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


def _memory_limit(connection: duckdb.DuckDBPyConnection) -> int:
    (limit,) = connection.execute("select current_setting('memory_limit')").fetchone()
    return parse_size(limit)


def test_python_connections_get_a_share_of_the_limit_and_the_loader_all_of_it(tmp_path, monkeypatch) -> None:
    # `milestones build` holds Great Expectations' dataframes beside its own DuckDB connections: with the
    # whole limit there, its process outgrew the limit at 100M events
    monkeypatch.setenv("MILESTONES_DUCKDB_MEMORY_LIMIT", "2GB")
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    whole = 2_000_000_000
    with warehouse.connect() as connection:
        assert _memory_limit(connection) == pytest.approx(whole * PYTHON_MEMORY_SHARE, rel=0.05)
    with warehouse.connect(memory_share=1.0) as connection:  # the loader's
        assert _memory_limit(connection) == pytest.approx(whole, rel=0.05)
    assert parse_size(duckdb_config()["memory_limit"]) == whole  # dbt's, through the profile
    assert PYTHON_MEMORY_SHARE < 1


def test_the_publish_copies_under_the_python_share(tmp_path, monkeypatch) -> None:
    # a real publish of a one-table warehouse; the spy records the settings of each DuckDB it opens
    monkeypatch.setenv("MILESTONES_DUCKDB_MEMORY_LIMIT", "3GB")
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(warehouse))
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema main_marts")
        connection.execute("create table main_marts.dim_accounts as select 1 as account_id")
    opened: list[dict[str, str]] = []
    real_connect = duckdb.connect

    def spy(*args, config=None, **kwargs):
        opened.append(dict(config or {}))
        return real_connect(*args, config=config or {}, **kwargs)

    monkeypatch.setattr(duckdb, "connect", spy)
    publish.publish("duckdb", tmp_path / "serving.duckdb")
    assert opened, "the publish opened no DuckDB"
    limits = [parse_size(config["memory_limit"]) for config in opened]
    assert limits == pytest.approx([3_000_000_000 * PYTHON_MEMORY_SHARE] * len(limits), rel=0.01)


def test_dbt_runs_under_its_share_of_the_limit(dbt_artifacts, tmp_path, monkeypatch, capfd) -> None:
    # a real dbt invocation: the profile reads the share milestones.build gives dbt, so dbt's own Python
    # and DuckDB's allocations outside its buffer pool fit in the limit beside it
    monkeypatch.setenv("MILESTONES_DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("MILESTONES_DUCKDB_TEMP_DIRECTORY", str(tmp_path / "spill"))
    monkeypatch.setenv("MILESTONES_SPARK_DIR", str(tmp_path / "spark"))
    for name in (DBT_MEMORY_LIMIT_ENV, "SPARK_CONF_DIR"):  # set by run_dbt, restored after the test
        monkeypatch.delenv(name, raising=False)
    capfd.readouterr()
    outcome = run_dbt(["show", "--inline", "select current_setting('memory_limit') as dbt_memory_limit"])
    shown = capfd.readouterr().out
    assert outcome.success, shown
    found = re.search(r"\b(\d+(?:\.\d+)? [KMGT]iB)\b", shown)
    assert found, shown
    assert parse_size(found[1]) == pytest.approx(1_000_000_000 * DBT_MEMORY_SHARE, rel=0.01)
    assert 0.5 < DBT_MEMORY_SHARE < 1


def test_a_limit_that_is_not_a_size_is_left_to_duckdb(monkeypatch) -> None:
    monkeypatch.setenv("MILESTONES_DUCKDB_MEMORY_LIMIT", "80%")
    assert duckdb_config(PYTHON_MEMORY_SHARE)["memory_limit"] == "80%"


@pytest.mark.parametrize(
    ("text", "size"),
    [("4GB", 4_000_000_000), ("4 GiB", 4 * 1024**3), ("512MB", 512_000_000), ("1.5gb", 1_500_000_000)],
)
def test_parse_size_reads_duckdb_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "GB", "four GB", "4 parsecs"])
def test_parse_size_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)
