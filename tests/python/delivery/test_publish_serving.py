"""Safe reads: BI tools read a serving file that is swapped in whole after a green build. A reader in
another process is never blocked by a build and never sees a half-published state; a failed build or a
failed publish leaves the last good file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import SAMPLE_END
from delivery_helpers import copy_warehouse, execute, land_account_changes, query, synced_accounts
from milestones.delivery.publish import SERVING_STORAGE_VERSION, publish
from milestones.errors import UserError

# A BI tool stand-in: reconnects in a loop and checks every table against the publication's manifest.
READER = r"""
import json, sys, time
from pathlib import Path
import duckdb

serving, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
reads, errors = [], []
while not stop.exists():
    started = time.time()
    try:
        with duckdb.connect(str(serving), read_only=True) as connection:
            published = "select publication_id from serving_manifest.publication"
            publication = connection.execute(published).fetchone()
            manifest = connection.execute(
                "select table_schema, table_name, row_count from serving_manifest.published_tables"
            ).fetchall()
            problems = []
            for schema, table, expected in manifest:
                (actual,) = connection.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
                if actual != expected:
                    problems.append(f"{schema}.{table}: {actual} rows, manifest says {expected}")
            (records, accounts) = connection.execute(
                "select (select count(*) from main_marts.dim_account_milestone_status),"
                " (select count(distinct account_id) from main_marts.fct_account_milestones)"
            ).fetchone()
            if records != accounts:
                problems.append(f"{records} customer records for {accounts} accounts")
            reads.append({"at": started, "publication": publication[0], "problems": problems})
    except Exception as error:
        errors.append(f"{type(error).__name__}: {error}")
    time.sleep(0.02)
out.write_text(json.dumps({"reads": reads, "errors": errors}))
"""


@pytest.fixture
def warehouse(built_duckdb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    database = copy_warehouse(built_duckdb, tmp_path / "warehouse")
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))
    monkeypatch.setenv("MILESTONES_SERVING_PATH", str(tmp_path / "serving" / "serving.duckdb"))
    return database


def _publication(serving: Path) -> str:
    with duckdb.connect(str(serving), read_only=True) as connection:
        return connection.execute("select publication_id from serving_manifest.publication").fetchone()[0]


def test_serving_file_holds_every_mart_in_the_old_storage_format(warehouse: Path) -> None:
    serving = publish()

    marts = query(
        warehouse,
        "select table_name from information_schema.tables where table_schema = 'main_marts' order by 1",
    )
    with duckdb.connect(str(serving), read_only=True) as connection:
        (tags,) = connection.execute(
            "select tags from duckdb_databases() where path = ?", [str(serving)]
        ).fetchone()
        served = connection.execute(
            "select table_name, row_count from serving_manifest.published_tables"
            " where table_schema = 'main_marts' order by 1"
        ).fetchall()
        snapshot_rows = connection.execute(
            "select count(*) from main_snapshots.crm_account_milestone_sync_snapshot"
        ).fetchone()[0]
        (storage_version,) = connection.execute(
            "select storage_version from serving_manifest.publication"
        ).fetchone()
    assert [name for name, _ in served] == [name for (name,) in marts]
    for name, rows in served:
        assert query(warehouse, f"select count(*) from main_marts.{name}")[0][0] == rows
    assert snapshot_rows == len(synced_accounts(warehouse))
    assert storage_version == SERVING_STORAGE_VERSION
    assert tags["storage_version"].startswith("v1.0.0")
    # DuckDB's header: storage format 64 is the one DuckDB 1.0.0 and later read
    assert int.from_bytes(serving.read_bytes()[8 + 4 : 8 + 4 + 8], "little") == 64
    assert sorted(path.name for path in serving.parent.iterdir()) == ["serving.duckdb", "serving.duckdb.lock"]


def _written(serving: Path) -> dict[str, tuple[str, int | None]]:
    rows = query(
        serving, "select table_name, written_as, loads_rewritten from serving_manifest.published_tables"
    )
    return {name: (written_as, loads) for name, written_as, loads in rows}


def _digest(database: Path, relation: str) -> tuple:
    """Rows and an order-free hash of every column: equal digests, equal tables."""
    columns = ", ".join(
        f'"{name}"' for (name,) in query(database, f"select column_name from (describe {relation})")
    )
    return query(database, f"select count(*), sum(hash({columns})) from {relation}")[0]


def test_a_table_with_load_ids_is_rewritten_only_where_a_load_differs(warehouse: Path) -> None:
    serving = publish()
    assert _written(serving)["fct_events"] == ("copied", None)
    loads = [
        load for (load,) in query(warehouse, "select distinct load_id from main_marts.fct_events order by 1")
    ]
    assert len(loads) >= 3
    # the warehouse changes in one load (rows gone), the last serving file in another (a row edited)
    execute(
        warehouse,
        "delete from main_intermediate.int_events__contract_checked"
        f" where load_id = {loads[0]} and violation_reason is null and event_id like '%1'",
    )
    execute(serving, f"update main_marts.fct_events set user_id = 'edited' where load_id = {loads[-1]}")

    publish()

    assert _written(serving)["fct_events"] == ("updated by load", 2)
    assert _digest(serving, "main_marts.fct_events") == _digest(warehouse, "main_marts.fct_events")
    publish()  # nothing differs now
    assert _written(serving)["fct_events"] == ("updated by load", 0)
    assert _written(serving)["dim_account_milestone_status"] == ("copied", None)  # no load_id: copied


def test_a_table_whose_columns_changed_is_copied_whole(warehouse: Path) -> None:
    serving = publish()
    execute(
        warehouse,
        "create or replace view main_marts.fct_events as"
        " select *, 1 as added_column from main_intermediate.int_events__valid",
    )

    publish()

    assert _written(serving)["fct_events"] == ("copied", None)
    assert _digest(serving, "main_marts.fct_events") == _digest(warehouse, "main_marts.fct_events")


@pytest.mark.slow
def test_serving_file_carries_the_table_and_column_descriptions(warehouse: Path) -> None:
    serving = publish()

    with duckdb.connect(str(serving), read_only=True) as connection:
        (table_comment,) = connection.execute(
            "select comment from duckdb_tables()"
            " where schema_name = 'main_marts' and table_name = 'dim_account_milestone_status'"
        ).fetchone()
        (column_comment,) = connection.execute(
            "select comment from duckdb_columns()"
            " where schema_name = 'main_marts' and table_name = 'fct_events' and column_name = 'event_id'"
        ).fetchone()
    assert table_comment.startswith("The customer record")
    assert column_comment == "The event's id, unique here: later copies are quarantined."


def test_a_reader_is_never_blocked_and_sees_only_whole_publications_during_builds(
    warehouse: Path, sample_landing: Path, dbt_artifacts: Path, tmp_path: Path
) -> None:
    from milestones.build import run_build
    from milestones.load import load_directory

    serving = publish()
    first = _publication(serving)
    stop, out = tmp_path / "stop", tmp_path / "reads.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(serving), str(stop), str(out)])
    try:
        time.sleep(1.0)
        build_started = time.time()
        assert run_build(as_of=SAMPLE_END, full_refresh=True) == 0  # a green build publishes
        build_ended = time.time()
        accounts = synced_accounts(warehouse)
        land_account_changes(
            sample_landing, tmp_path / "change", {next(iter(accounts.values())): {"owner": "New"}}
        )
        load_directory(tmp_path / "change")
        assert run_build(as_of=SAMPLE_END) == 0
        last = _publication(serving)
        time.sleep(1.0)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    seen = json.loads(out.read_text())

    assert seen["errors"] == []  # never a lock error, never a missing table
    reads = seen["reads"]
    assert [read for read in reads if read["problems"]] == []
    publications = [read["publication"] for read in reads]
    assert publications[0] == first and publications[-1] == last
    assert len(set(publications)) == 3  # before, after the full refresh, after the change
    during_build = sum(build_started <= read["at"] <= build_ended for read in reads)
    print(f"{len(reads)} consistent reads, {during_build} of them during the build")
    assert during_build >= 5  # read while dbt was writing the warehouse


@pytest.mark.slow
def test_a_failed_build_leaves_the_last_good_serving_file(warehouse: Path, dbt_artifacts: Path) -> None:
    from milestones.build import run_build

    serving = publish()
    good = _publication(serving)
    execute(warehouse, "drop table main_raw.accounts")  # the build cannot read its accounts any more

    assert run_build(as_of=SAMPLE_END) == 1

    assert _publication(serving) == good
    with duckdb.connect(str(serving), read_only=True) as connection:
        assert (
            connection.execute("select count(*) from main_marts.dim_account_milestone_status").fetchone()[0]
            > 0
        )


def test_a_failed_publish_leaves_the_last_good_serving_file(warehouse: Path) -> None:
    serving = publish()
    good = _publication(serving)
    # a mart that breaks halfway through the copy: a view over a table that is gone
    execute(
        warehouse,
        "create table main_marts.zz_gone as select 1 as x",
        "create view main_marts.zz_broken as select * from main_marts.zz_gone",
        "drop table main_marts.zz_gone",
    )

    with pytest.raises(duckdb.Error):
        publish()

    assert _publication(serving) == good
    assert sorted(path.name for path in serving.parent.iterdir()) == ["serving.duckdb", "serving.duckdb.lock"]


def test_publish_needs_a_built_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(tmp_path / "nothing.duckdb"))
    with pytest.raises(UserError):
        publish(serving=tmp_path / "serving.duckdb")
    assert not os.path.exists(tmp_path / "serving.duckdb")
