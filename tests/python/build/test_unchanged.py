"""A build with nothing new stops before dbt: same day, no new load, the same project files and no dbt
run since the last green build. Anything else builds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from conftest import SAMPLE_END
from dagster_support import write_events
from delivery_helpers import copy_warehouse, query
from milestones.build import run_build
from milestones.build.dbt import run_dbt
from milestones.build.unchanged import current_inputs, unchanged_since
from milestones.load import load_directory
from own_project import copy_project

INVOCATIONS = "main_build.dbt_invocations"
STOPPED = "nothing changed since the build of"


@pytest.fixture
def warehouse(built_duckdb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    database = copy_warehouse(built_duckdb, tmp_path / "warehouse")
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))
    monkeypatch.setenv("MILESTONES_SERVING_PATH", str(tmp_path / "serving" / "serving.duckdb"))
    # other tests' dbt runs may have written the session's warehouse since its build: build once here
    assert run_build(as_of=SAMPLE_END) == 0
    return database


def _invocation(database: Path) -> str:
    return query(database, f"select invocation_id from {INVOCATIONS}")[0][0]


def test_a_second_build_with_nothing_new_stops_before_dbt(warehouse: Path, capsys) -> None:
    written_by = _invocation(warehouse)
    builds = query(warehouse, "select count(*) from main_build.builds")[0][0]
    capsys.readouterr()
    assert run_build(as_of=SAMPLE_END) == 0
    assert STOPPED in capsys.readouterr().out
    assert _invocation(warehouse) == written_by, "dbt did not run"
    assert query(warehouse, "select count(*) from main_build.builds")[0][0] == builds, "nor was it recorded"

    # another dbt run wrote the tables since: the next build builds, and the one after it stops again
    assert run_dbt(["run", "--select", "stg_landing__accounts"], as_of=SAMPLE_END).success
    assert run_build(as_of=SAMPLE_END) == 0
    assert STOPPED not in capsys.readouterr().out
    assert run_build(as_of=SAMPLE_END) == 0
    assert STOPPED in capsys.readouterr().out

    # --full-refresh always builds
    assert run_build(as_of=SAMPLE_END, full_refresh=True) == 0
    assert STOPPED not in capsys.readouterr().out


def test_a_new_day_a_new_load_or_an_edited_file_builds(warehouse: Path, tmp_path: Path) -> None:
    inputs = current_inputs(SAMPLE_END)
    assert unchanged_since(inputs) is not None, "as the fixture's build left it"
    assert unchanged_since(current_inputs(SAMPLE_END + timedelta(days=1))) is None, "another day"

    project = copy_project(tmp_path / "project")
    assert unchanged_since(current_inputs(SAMPLE_END, project_dir=project)) is not None, "the same files"
    seed = project / "seeds" / "milestones.csv"
    seed.write_text("".join(seed.read_text().splitlines(keepends=True)[:-1]))
    assert unchanged_since(current_inputs(SAMPLE_END, project_dir=project)) is None, "an edited seed"

    arrived = tmp_path / "arrived"
    arrived.mkdir()
    (account,) = query(warehouse, "select min(account_id) from main_raw.accounts")[0]
    load_directory(write_events(arrived / "events_late.jsonl", account, [("page_viewed", {})]).parent)
    assert unchanged_since(current_inputs(SAMPLE_END)) is None, "a new load"


# -- what a build after a green one leaves out ------------------------------------------------------


def _node(resource_type: str, name: str, parents: list[str], macros: list[str] = (), tags=()) -> dict:
    return {
        "resource_type": resource_type,
        "name": name,
        "fqn": ["p", name],
        "tags": list(tags),
        "depends_on": {"nodes": parents, "macros": list(macros)},
    }


def test_only_nodes_reading_nothing_but_the_files_are_left_out() -> None:
    from milestones.build.unchanged import nodes_built_from_files_alone

    as_of = "macro.milestone_warehouse.as_of_date"
    manifest = {
        "macros": {
            as_of: {"depends_on": {"macros": []}},
            "macro.p.days_to": {"depends_on": {"macros": [as_of]}},  # calls the as-of date
            "macro.p.days_since": {"depends_on": {"macros": ["macro.p.days_to"]}},  # ... indirectly
            "macro.p.plain": {"depends_on": {"macros": []}},
        },
        "nodes": {
            "seed.p.plan": _node("seed", "plan", []),
            "model.p.plan_rules": _node("model", "plan_rules", ["seed.p.plan"], ["macro.p.plain"]),
            "test.p.not_null_plan": _node("test", "not_null_plan", ["seed.p.plan"]),
            "test.p.reference": _node("test", "reference", ["seed.p.plan"], tags=["keep"]),
            "model.p.events": _node("model", "events", ["source.p.raw.events"]),
            "model.p.by_event": _node("model", "by_event", ["model.p.plan_rules", "model.p.events"]),
            "model.p.days": _node("model", "days", ["seed.p.plan"], ["macro.p.days_since"]),
            "test.p.days_test": _node("test", "days_test", ["model.p.days"]),
            "model.p.twin": _node("model", "twin", ["seed.p.plan"]),
            "test.p.twin": _node("test", "twin", ["model.p.events"]),
            "operation.p.hook": _node("operation", "hook", []),
            "seed.p.p": _node("seed", "p", []),  # named as its package: selecting it selects all
        },
    }
    assert nodes_built_from_files_alone(manifest, {"keep"}) == ["not_null_plan", "plan", "plan_rules"]
