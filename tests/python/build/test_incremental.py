"""Incremental by arrival gives exactly the rows a full rebuild gives (docs/rules.md §7).

A generated landing folder is cut into a sequence of loads that exercise what goes wrong with naive
incremental logic: late events (occurred weeks ago, arrive today), re-sent copies of events that
arrived earlier, accounts that land after their events (quarantined as unknown_account until then),
and new overrides and renewals. The warehouse is built after each load; a second warehouse gets a
copy of the same raw layer and is built once with --full-refresh. Every mart and intermediate model
must match both ways, and building again without a new load must change nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from conftest import SAMPLE_END, environment
from load_sequences import LATE_ACCOUNTS, cut_load_sequence

pytestmark = pytest.mark.slow

# bookkeeping columns that legitimately differ between an incremental and a full build
WATERMARK_COLUMNS = {"processed_load_id", "seed_fingerprint"}
# what records the CRM delivery history (docs/rules.md §6) depends on how many builds ran, not only on
# the rows landed: the change feed has a row per build that changed a crm_id, and updated_at is when
# the current version was recorded. Compared only between warehouses with the same history.
DELIVERY_HISTORY = {
    "main_marts.crm_account_milestone_changes": None,  # the whole table
    "main_marts.crm_account_milestone_sync": {"updated_at"},
}


@pytest.fixture(scope="module")
def load_sequence(sample_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return cut_load_sequence(sample_landing, tmp_path_factory.mktemp("incremental"))


def _tables(connection: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = connection.execute(
        """
        select table_schema || '.' || table_name, column_name
        from information_schema.columns
        where table_schema in ('main_marts', 'main_intermediate')
        order by table_schema, table_name, ordinal_position
        """
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def _differences(left: Path, right: Path, same_history: bool = False) -> dict[str, tuple[int, int]]:
    """Per table, rows only in the left warehouse and rows only in the right one (the delivery
    history left out unless both warehouses ran the same builds)."""
    with duckdb.connect(str(left), read_only=True) as connection:
        connection.execute(f"attach '{right}' as other (read_only)")
        differences = {}
        for table, columns in _tables(connection).items():
            history = set() if same_history else DELIVERY_HISTORY.get(table, set())
            if history is None:
                continue
            skipped = WATERMARK_COLUMNS | history
            compared = ", ".join(f'"{name}"' for name in columns if name not in skipped)
            only_left, only_right = connection.execute(
                f"""
                select
                    (select count(*) from (select {compared} from {table} except all
                                           select {compared} from other.{table})),
                    (select count(*) from (select {compared} from other.{table} except all
                                           select {compared} from {table}))
                """
            ).fetchone()
            if only_left or only_right:
                differences[table] = (only_left, only_right)
    return differences


@pytest.fixture(scope="module")
def warehouses(
    load_sequence: list[Path], dbt_artifacts: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path]]:
    from milestones.build import run_build
    from milestones.load import load_directory

    work = tmp_path_factory.mktemp("built")
    incremental, full = work / "incremental.duckdb", work / "full.duckdb"
    with environment(MILESTONES_DUCKDB_PATH=str(incremental)):
        for folder in load_sequence:
            load_directory(folder)
            assert run_build(as_of=SAMPLE_END) == 0
    # the same landed rows (the raw layer copied, load times and all), built once from scratch
    with duckdb.connect(str(full)) as connection:
        connection.execute(f"attach '{incremental}' as landed (read_only)")
        connection.execute("create schema main_raw")
        for (table,) in connection.execute(
            "select table_name from information_schema.tables"
            " where table_catalog = 'landed' and table_schema = 'main_raw'"
        ).fetchall():
            connection.execute(f'create table main_raw."{table}" as select * from landed.main_raw."{table}"')
    with environment(MILESTONES_DUCKDB_PATH=str(full)):
        assert run_build(as_of=SAMPLE_END, full_refresh=True) == 0
    yield incremental, full


def test_incremental_builds_match_a_full_rebuild(warehouses: tuple[Path, Path]) -> None:
    incremental, full = warehouses
    with duckdb.connect(str(full), read_only=True) as connection:
        assert "main_marts.fct_account_milestones" in _tables(connection)
        (completed,) = connection.execute(
            "select count(*) from main_marts.fct_account_milestones where status = 'completed'"
        ).fetchone()
    assert completed > 0, "nothing completed: the comparison would prove little"
    assert _differences(incremental, full) == {}


def test_the_sequence_exercised_late_duplicate_and_unknown_account_rows(
    warehouses: tuple[Path, Path],
) -> None:
    incremental, _ = warehouses
    with duckdb.connect(str(incremental), read_only=True) as connection:
        (duplicates,) = connection.execute(
            "select count(*) from main_marts.fct_event_contract_violations"
            " where reason = 'duplicate_event_id'"
        ).fetchone()
        (late_account_events,) = connection.execute(
            f"select count(*) from main_marts.fct_events where {LATE_ACCOUNTS}"
        ).fetchone()
    assert duplicates >= 200
    assert late_account_events > 0, "events of accounts that landed late should be valid once they land"


def test_building_again_without_new_data_changes_nothing(
    warehouses: tuple[Path, Path], tmp_path: Path
) -> None:
    from milestones.build import run_build

    incremental, _ = warehouses
    before = tmp_path / "before.duckdb"
    with duckdb.connect(str(incremental)) as connection:
        connection.execute(f"attach '{before}' as snapshot")
        connection.execute("copy from database " + incremental.stem + " to snapshot")
    with environment(MILESTONES_DUCKDB_PATH=str(incremental)):
        assert run_build(as_of=SAMPLE_END) == 0
    assert _differences(incremental, before, same_history=True) == {}


def test_a_changed_tracking_plan_rechecks_every_landed_row(
    warehouses: tuple[Path, Path], tmp_path: Path
) -> None:
    """The contract model rechecks every row, not only a day's, when the tracking plan it was built
    with is not the plan now: here its stored fingerprint is made stale, as a plan edit makes it."""
    from milestones.build import run_build

    incremental, full = warehouses
    edited = tmp_path / "edited.duckdb"
    shutil.copyfile(incremental, edited)
    checked = "main_intermediate.int_events__contract_checked"
    # rows stamped with the newest load: those the last build (re)checked
    stamped_last = (
        f"select count(*) from {checked}"
        f" where processed_load_id = (select max(processed_load_id) from {checked})"
    )
    with duckdb.connect(str(edited)) as connection:
        (checked_before,) = connection.execute(stamped_last).fetchone()
        connection.execute(f"update {checked} set seed_fingerprint = 'an earlier plan'")
        (landed_rows,) = connection.execute("select count(*) from main_raw.events").fetchone()
    assert checked_before < landed_rows, "the last build checked every row: the test would prove nothing"
    with environment(MILESTONES_DUCKDB_PATH=str(edited)):
        assert run_build(as_of=SAMPLE_END + timedelta(days=1)) == 0
    with duckdb.connect(str(edited), read_only=True) as connection:
        (checked_after,) = connection.execute(stamped_last).fetchone()
    assert checked_after == landed_rows
    assert "main_intermediate.int_events__contract_checked" not in _differences(edited, full)
