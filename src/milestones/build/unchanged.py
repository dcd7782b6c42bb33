"""A build with nothing to do says so and stops (docs/orchestration.md, "A build with nothing new").

A green delivering `milestones build` records what it built from (`<schema>_build.builds`): the as-of
day, the newest landing load, a hash of the project's dbt files, a hash of the catalog as it left it
(tables, views and, on DuckDB, their row counts) and the dbt invocation that wrote the tables. The
next build compares: when the day, the loads, the files and the catalog are the same, and no dbt run
has written the warehouse since (every dbt run leaves its invocation id in
`<schema>_build.dbt_invocations`, the on-run-end hook `record_dbt_invocation`), dbt would rebuild
the same tables, the tests would pass again, the validation would find no new row and the serving
file would be published again unchanged. So it stops there, after the landing freshness check, which
depends on the clock.

Never skipped: `--full-refresh`, `--select`, a build that does not deliver or moves delivery back,
the history fill (MILESTONES_HISTORY_DAYS), and a build after a failed or partial one (nothing
recorded then).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from milestones import paths
from milestones.build.dbt import names_selecting_one_node
from milestones.build.seed_check import files_digest
from milestones.warehouse import DuckDBWarehouse, Warehouse, append_record, latest_record, resolve

BUILDS_TABLE = "builds"
INVOCATIONS_TABLE = "dbt_invocations"
# what dbt builds from, besides the landed rows: a change to any of these files rebuilds
PROJECT_FILES = ("dbt_project.yml", "models", "macros", "seeds", "snapshots", "tests/dbt")


@dataclass(frozen=True)
class BuildInputs:
    as_of: date
    last_load_id: int
    project_digest: str
    catalog_digest: str

    def as_row(self, invocation_id: str) -> dict[str, tuple[Any, str]]:
        return {
            "built_at": (datetime.now(UTC).replace(tzinfo=None), "timestamp"),
            "as_of": (self.as_of.isoformat(), "date"),
            "last_load_id": (self.last_load_id, "bigint"),
            "project_digest": (self.project_digest, "varchar"),
            "catalog_digest": (self.catalog_digest, "varchar"),
            "dbt_invocation_id": (invocation_id, "varchar"),
        }


def build_schema(warehouse: Warehouse) -> str:
    return f"{warehouse.schema}_build"


def current_inputs(as_of: date, target: str | None = None, project_dir: Path | None = None) -> BuildInputs:
    warehouse = resolve(target)
    return BuildInputs(
        as_of=as_of,
        last_load_id=_last_load_id(warehouse),
        project_digest=files_digest(project_dir or paths.PROJECT_DIR, PROJECT_FILES),
        catalog_digest=catalog_digest(warehouse),
    )


def unchanged_since(inputs: BuildInputs, target: str | None = None) -> datetime | None:
    """When the last recorded build had these inputs and nothing has written the tables since: its time
    (the build can stop); else None."""
    last = _last_green_build(target)
    if last is None or str(last["as_of"])[:10] != inputs.as_of.isoformat():
        return None
    recorded = (int(last["last_load_id"]), last["project_digest"], last.get("catalog_digest"))
    if recorded != (inputs.last_load_id, inputs.project_digest, inputs.catalog_digest):
        return None
    return last["built_at"]


def tested_since_load_id(inputs: BuildInputs, target: str | None = None) -> int | None:
    """The newest load the last green build had checked, when this build's data tests over the event
    tables need only look at the rows written since (docs/orchestration.md, "Tests of what the build
    wrote"): that build was the last dbt run to write the warehouse and the project's files are the
    same, so every older row is as it tested it. None: every row is tested."""
    last = _last_green_build(target)
    if last is None or last["project_digest"] != inputs.project_digest:
        return None
    return int(last["last_load_id"])


# what a node's SQL reads besides the project's files and the tables dbt builds from them: the landed
# rows (dbt sources) and what these macros read from the environment when dbt executes (the day)
READ_WHEN_EXECUTING = (
    "macro.milestone_warehouse.as_of_date",
    "macro.milestone_warehouse.tested_since_load_id",
)


def nodes_built_from_files_alone(manifest: dict[str, Any], always_run_tags: set[str]) -> list[str]:
    """The names of the seeds, models and tests that read only the project's files: no source, no
    macro of READ_WHEN_EXECUTING, upstream or in themselves. A build after a green one from the same
    files (the condition of tested_since_load_id) would rebuild them to the same rows and pass the same
    tests, so it leaves them out. Tests with one of `always_run_tags` run anyway (their warnings are
    printed on every build), and a name two nodes share, or that names a package, is never left out."""
    nodes: dict[str, dict[str, Any]] = manifest.get("nodes", {})
    macros = _macros_reading_the_run(manifest.get("macros", {}))
    reads_the_run: dict[str, bool] = {}

    def reads(unique_id: str) -> bool:
        if unique_id not in reads_the_run:
            node = nodes.get(unique_id)
            depends_on = (node or {}).get("depends_on", {})
            reads_the_run[unique_id] = node is None or (
                bool(macros.intersection(depends_on.get("macros", [])))
                or any(reads(parent) for parent in depends_on.get("nodes", []))
            )
        return reads_the_run[unique_id]

    selectable = names_selecting_one_node(manifest)
    return sorted(
        node["name"]
        for unique_id, node in nodes.items()
        if node.get("resource_type") in {"seed", "model", "test"}
        and not reads(unique_id)
        and not always_run_tags.intersection(node.get("tags", []))
        and node["name"] in selectable
    )


def _macros_reading_the_run(macros: dict[str, dict[str, Any]]) -> set[str]:
    """READ_WHEN_EXECUTING and every macro that calls one of them, however indirectly."""
    found = set(READ_WHEN_EXECUTING)
    grew = True
    while grew:
        called_by = {
            unique_id
            for unique_id, macro in macros.items()
            if found.intersection(macro.get("depends_on", {}).get("macros", []))
        }
        grew = not called_by <= found
        found |= called_by
    return found


def _last_green_build(target: str | None) -> dict[str, Any] | None:
    """The record of the last green delivering build, when it was also the last dbt run to write the
    warehouse; None when there is none, or dbt ran since (by hand, from Dagster, a failed or partial
    run: the tables may differ)."""
    from milestones.build.history import DAYS_VARIABLE  # history.py imports run.py, which imports this

    if os.environ.get(DAYS_VARIABLE):  # the history fill's dbt runs build other days
        return None
    warehouse = resolve(target)
    last = latest_record(warehouse, build_schema(warehouse), BUILDS_TABLE, "built_at")
    if last is None or last["dbt_invocation_id"] != _last_invocation(warehouse):
        return None
    return last


def record_build(inputs: BuildInputs, run_results_path: Path | None, target: str | None = None) -> None:
    """After a green delivering build: what it was built from and the dbt run that wrote it."""
    if run_results_path is None or not run_results_path.exists():
        return
    invocation_id = json.loads(run_results_path.read_text()).get("metadata", {}).get("invocation_id")
    if invocation_id:
        warehouse = resolve(target)
        # the tables as this build left them; the loads and files as it found them (a load during the
        # build is then new to the next one)
        built = replace(inputs, catalog_digest=catalog_digest(warehouse))
        append_record(warehouse, build_schema(warehouse), BUILDS_TABLE, built.as_row(invocation_id))


def catalog_digest(warehouse: Warehouse) -> str:
    """A hash of the warehouse's tables and views (and, on DuckDB, their row counts), this project's
    own records left out: a table dropped or refilled by hand since the last build is seen. Read from
    the catalog, so it costs no scan."""
    schema = warehouse.schema
    connection = warehouse.connect(read_only=True)
    try:
        cursor = connection.cursor()
        p = warehouse.placeholder
        cursor.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            f"where table_schema like {p} order by 1, 2",
            [f"{schema}%"],
        )
        found = [row for row in cursor.fetchall() if row[0] not in _own_records(schema)]
        if isinstance(warehouse, DuckDBWarehouse):
            cursor.execute("select schema_name, table_name, estimated_size from duckdb_tables() order by all")
            found += [row for row in cursor.fetchall() if row[0] not in _own_records(schema)]
        cursor.close()
    finally:
        connection.close()
    return hashlib.sha256(repr(found).encode()).hexdigest()


def _own_records(schema: str) -> set[str]:
    """The schemas of the records a build writes after dbt (and of this check's own)."""
    return {f"{schema}_build", f"{schema}_validation", f"{schema}_delivery"}


def _last_load_id(warehouse: Warehouse) -> int:
    """The newest load of any landing file (0 before the first): a new load means new rows to build."""
    from milestones.load.landing import LOADS_TABLE

    found = latest_record(warehouse, warehouse.raw_schema, LOADS_TABLE, "load_id")
    return int(found["load_id"]) if found else 0


def _last_invocation(warehouse: Warehouse) -> str | None:
    found = latest_record(warehouse, build_schema(warehouse), INVOCATIONS_TABLE, "invocation_id")
    return found["invocation_id"] if found else None
