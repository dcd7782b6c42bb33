"""The customer record's history (docs/history.md): a past day filled by `milestones history` holds
exactly what a build as of that day writes for the same landing data, and writing a day replaces its
rows while every other day stays, a --full-refresh included.

The session's sample warehouse (built as of D1, the sample's last day) is copied twice: one copy
fills D0..D1 weekly, the other is built as of D0; D0's rows must be the same in both.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from conftest import SAMPLE_END, environment
from milestones.build.history import batch_size, history_days, in_batches
from milestones.errors import ArgumentError

pytestmark = pytest.mark.slow

D1 = SAMPLE_END
D0 = D1 - timedelta(days=35)  # five weeks back: the weekly days are D0, D0 + 7, ..., D1
HISTORY = "main_intermediate.int_accounts__status_history"
PUBLISHED = "main_marts.fct_account_status_history"
# rows that are not the model's: one on a day the fill writes, one on a day it does not
STRAY_DAY_IN_RANGE = D0 + timedelta(days=7)
STRAY_DAY_OUTSIDE = D0 - timedelta(days=1)


def _copy_warehouse(source: Path, destination: Path) -> Path:
    assert not source.with_name(source.name + ".wal").exists(), "the built warehouse was not checkpointed"
    shutil.copyfile(source, destination)
    return destination


def _rows(database: Path, day: date) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(
            f"select * from {PUBLISHED} where as_of_date = ? order by account_id", [day]
        ).fetchall()


def _plant_stray_rows(database: Path) -> None:
    """A row of an account that does not exist, on a day inside the fill and on one outside it."""
    with duckdb.connect(str(database)) as connection:
        for day in (STRAY_DAY_IN_RANGE, STRAY_DAY_OUTSIDE):
            connection.execute(
                f"insert into {HISTORY} (as_of_date, account_id, segment, milestones_completed,"
                " milestones_total, is_stalled, days_overdue, health_score, health_band, is_churned)"
                " values (?, 'acc_stray', 'paid', 0, 1, false, 0, 0, 'critical', false)",
                [day],
            )


@pytest.fixture(scope="module")
def filled(built_duckdb: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple]]:
    """A copy of the sample warehouse with D0..D1 filled weekly; and D1's rows before the fill."""
    from milestones.build.history import run_history

    database = _copy_warehouse(built_duckdb, tmp_path_factory.mktemp("history") / "filled.duckdb")
    before = _rows(database, D1)
    _plant_stray_rows(database)
    with environment(MILESTONES_DUCKDB_PATH=str(database)):
        assert run_history(start=D0, end=D1, grain="week") == 0
    return database, before


@pytest.fixture(scope="module")
def built_as_of_d0(built_duckdb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another copy, built as of D0 the way `milestones build --as-of D0` builds it."""
    from milestones.build import run_build

    database = _copy_warehouse(built_duckdb, tmp_path_factory.mktemp("as_of_d0") / "d0.duckdb")
    with environment(MILESTONES_DUCKDB_PATH=str(database)):
        assert run_build(as_of=D0) == 0
    return database


def test_a_filled_day_equals_a_build_as_of_that_day(
    filled: tuple[Path, list[tuple]], built_as_of_d0: Path
) -> None:
    database, _ = filled
    backfilled, built = _rows(database, D0), _rows(built_as_of_d0, D0)
    assert len(built) > 50, "too few accounts on D0 for the comparison to prove much"
    assert backfilled == built
    # and D0 is not simply D1 again: five weeks earlier, records differ
    later = {row[1]: row[2:] for row in _rows(database, D1)}
    assert sum(1 for row in built if later[row[1]] != row[2:]) > len(built) // 10


def test_the_fill_writes_each_weekly_day_once(filled: tuple[Path, list[tuple]]) -> None:
    database, before = filled
    with duckdb.connect(str(database), read_only=True) as connection:
        days = connection.execute(
            f"select as_of_date, count(*), count(distinct account_id) from {PUBLISHED}"
            " where account_id != 'acc_stray' group by 1 order by 1"
        ).fetchall()
    assert [day for day, _, _ in days] == [D0 + timedelta(days=7 * week) for week in range(6)]
    assert all(rows == accounts for _, rows, accounts in days)
    # the as-of day of the build was written again by the fill: the same rows, not a second copy
    assert _rows(database, D1) == before


def test_filling_a_day_replaces_all_its_rows_and_keeps_other_days(filled: tuple[Path, list[tuple]]) -> None:
    database, _ = filled
    with duckdb.connect(str(database), read_only=True) as connection:
        stray_days = connection.execute(
            f"select as_of_date from {HISTORY} where account_id = 'acc_stray'"
        ).fetchall()
    assert stray_days == [(STRAY_DAY_OUTSIDE,)]


def test_band_movements_read_the_filled_weeks(filled: tuple[Path, list[tuple]]) -> None:
    database, _ = filled
    with duckdb.connect(str(database), read_only=True) as connection:
        weeks = connection.execute(
            "select distinct week_starts_on from main_marts.mart_health_band_movements"
        ).fetchall()
    assert len(weeks) >= 3, "five weekly steps over 150 accounts should move some bands most weeks"


def test_full_refresh_keeps_the_past_days(filled: tuple[Path, list[tuple]], tmp_path: Path) -> None:
    from milestones.build.dbt import run_dbt

    database = _copy_warehouse(filled[0], tmp_path / "refreshed.duckdb")
    with environment(MILESTONES_DUCKDB_PATH=str(database)):
        outcome = run_dbt(["run", "--full-refresh", "--select", "int_accounts__status_history"], as_of=D1)
    assert outcome.success
    assert _rows(database, D0) == _rows(filled[0], D0)


def test_a_day_after_the_build_is_refused(built_duckdb: Path) -> None:
    from milestones.build.history import plan_history

    with environment(MILESTONES_DUCKDB_PATH=str(built_duckdb)):
        with pytest.raises(ArgumentError, match="after the day the warehouse was built as of"):
            plan_history(start=D0, end=D1 + timedelta(days=1))
        assert plan_history(start=D0, end=None, grain="week").days[-1] == D1


def test_days_and_batches() -> None:
    start = date(2026, 6, 1)
    assert history_days(start, date(2026, 6, 3)) == [start, date(2026, 6, 2), date(2026, 6, 3)]
    weekly = [start, date(2026, 6, 8), date(2026, 6, 15), date(2026, 6, 16)]
    assert history_days(start, date(2026, 6, 16), "week") == weekly
    assert history_days(start, start, "week") == [start]
    assert in_batches([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert batch_size(20_000) == 50 and batch_size(100) == 92 and batch_size(100, requested=7) == 7
