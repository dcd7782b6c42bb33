"""The retention analysis and the health backtest on a demo-sized warehouse.

The sample warehouse of conftest is too small for a retention analysis to find anything (a few dozen
churned accounts per segment), so this module generates 1,200 accounts over 240 days, builds the
models behind the candidates and the backtest, and checks two promises of the product:

- run backward, the retention analysis puts the generator's true churn drivers at the top and the
  engagement events (page views, logins) well down;
- a renewal's point-in-time scores use nothing after their scoring date: events landed later, dated
  after it, change today's scores and leave every renewal score as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from conftest import SAMPLE_END, environment

ACCOUNTS, DAYS, SEED = 1200, 240, 7
SELECTED = "+mart_milestone_candidates +fct_renewal_health_scores +dim_account_milestone_status"
ENGAGEMENT_EVENTS = ("page_viewed", "user_logged_in")


def _build() -> None:
    from milestones.build.dbt import run_dbt

    for command in (["seed"], ["run", "--select", SELECTED]):
        outcome = run_dbt(command, as_of=SAMPLE_END)
        assert outcome.success, outcome.failed


@pytest.fixture(scope="module")
def demo_sized(tmp_path_factory: pytest.TempPathFactory, dbt_artifacts: Path) -> Iterator[tuple[Path, Path]]:
    """(landing folder, DuckDB file) of a demo-sized warehouse with the selected models built."""
    from milestones.load import load_directory
    from milestones.sample import generate

    landing = tmp_path_factory.mktemp("demo_sized_landing")
    generate(accounts=ACCOUNTS, days=DAYS, seed=SEED, out=landing, end_date=SAMPLE_END, progress=False)
    database = tmp_path_factory.mktemp("demo_sized") / "milestones.duckdb"
    with environment(MILESTONES_DUCKDB_PATH=str(database), MILESTONES_TARGET="duckdb"):
        load_directory(landing)
        _build()
        yield landing, database


def _ranked_events(database: Path, segment: str) -> list[str]:
    """The segment's ranked candidate events, best first, each event once (at its best threshold)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            """
            select event_name
            from main_marts.mart_milestone_candidates
            where segment = ? and is_rankable
            order by candidate_rank
            """,
            [segment],
        ).fetchall()
    seen: list[str] = []
    for (event_name,) in rows:
        if event_name not in seen:
            seen.append(event_name)
    return seen


@pytest.mark.parametrize("segment", ["trial", "paid"])
def test_true_drivers_rank_at_the_top(demo_sized: tuple[Path, Path], segment: str) -> None:
    landing, database = demo_sized
    drivers = json.loads((landing / "_manifest.json").read_text())["churn_drivers"][segment]
    ranked = _ranked_events(database, segment)
    assert len(ranked) >= 20, f"{segment}: too few ranked candidates to judge ({len(ranked)})"
    assert set(ranked[:3]) <= set(drivers["driver_events"]), (
        f"{segment}: the three best events {ranked[:3]} are not all among the drivers "
        f"{drivers['driver_events']}"
    )
    for event_name in ENGAGEMENT_EVENTS:
        assert ranked.index(event_name) >= len(ranked) // 2, (
            f"{segment}: {event_name} ranks {ranked.index(event_name) + 1} of {len(ranked)}"
        )


def test_the_analysis_says_how_many_accounts_stand_behind_each_figure(demo_sized: tuple[Path, Path]) -> None:
    _, database = demo_sized
    with duckdb.connect(str(database), read_only=True) as connection:
        unranked, ranked_too_small, mismatched = connection.execute(
            """
            select
                count(*) filter (where not is_rankable),
                count(*) filter (where is_rankable and accounts_did < 10),
                count(*) filter (
                    where retained_accounts_did + churned_accounts_did != accounts_did
                    or retained_accounts + churned_accounts != cohort_accounts
                )
            from main_marts.mart_milestone_candidates
            """
        ).fetchone()
    assert unranked > 0, "rare events must be kept, unranked"
    assert ranked_too_small == 0 and mismatched == 0


def _renewal_scores(connection: duckdb.DuckDBPyConnection) -> list[tuple]:
    return connection.execute(
        """
        select renewal_id, scored_on, health_score, engagement_score, milestones_completed,
            milestone_velocity, latest_input_on
        from main_marts.fct_renewal_health_scores
        order by renewal_id
        """
    ).fetchall()


def test_events_after_the_scoring_date_change_no_renewal_score(
    demo_sized: tuple[Path, Path], tmp_path: Path
) -> None:
    """Copies of each scored account's first 30 days of events, dated after its last scoring date,
    land late. A rebuild must take them in (today's scores move) and leave every renewal's scores
    exactly as they were."""
    from milestones.load import load_directory

    _, database = demo_sized
    late = tmp_path / "late"
    late.mkdir()
    with duckdb.connect(str(database)) as connection:
        before = _renewal_scores(connection)
        today_before = dict(
            connection.execute(
                "select account_id, health_score from main_marts.dim_account_milestone_status"
            ).fetchall()
        )
        connection.execute(
            f"""
            copy (
                with last_scored as (
                    select account_id, max(scored_on) as last_scored_on
                    from main_marts.fct_renewal_health_scores
                    group by 1
                ),

                early_events as (
                    select events.*, last_scored.last_scored_on
                    from main_intermediate.int_events__valid as events
                    inner join last_scored on events.account_id = last_scored.account_id
                    inner join main_intermediate.int_accounts__current as accounts
                        on events.account_id = accounts.account_id
                    where events.occurred_at < accounts.signed_up_at + interval 30 day
                        and events.event_name != 'account_created'
                        and last_scored.last_scored_on < date '{SAMPLE_END}' - interval 2 day
                ),

                moved as (
                    select
                        'late_' || event_id as event_id,
                        account_id,
                        user_id,
                        event_name,
                        -- spread over the days after the last scoring date, up to the as-of date
                        cast(last_scored_on as timestamp) + interval 1 day + interval 1 hour
                            + to_seconds(cast(
                                hash(event_id) % (date_diff('day', last_scored_on, date '{SAMPLE_END}') - 1)
                                * 86400 as bigint
                            )) as occurred_at,
                        properties
                    from early_events
                )

                select
                    event_id,
                    account_id,
                    user_id,
                    event_name,
                    strftime(occurred_at, '%Y-%m-%dT%H:%M:%SZ') as occurred_at,
                    strftime(occurred_at + interval 5 minute, '%Y-%m-%dT%H:%M:%SZ') as received_at,
                    properties
                from moved
            ) to '{late / "events_late.csv"}' (header)
            """
        )
    moved_rows = sum(1 for _ in (late / "events_late.csv").open()) - 1
    assert moved_rows > 1000
    with environment(MILESTONES_DUCKDB_PATH=str(database), MILESTONES_TARGET="duckdb"):
        load_directory(late)
        _build()
    with duckdb.connect(str(database), read_only=True) as connection:
        landed = connection.execute(
            "select count(*) from main_intermediate.int_events__valid where event_id like 'late_%'"
        ).fetchone()[0]
        after = _renewal_scores(connection)
        today_after = dict(
            connection.execute(
                "select account_id, health_score from main_marts.dim_account_milestone_status"
            ).fetchall()
        )
    assert landed == moved_rows, "every late copy is a valid event"
    assert sum(today_after[a] != today_before[a] for a in today_before) > 50, "today's scores took them in"
    assert len(after) == len(before) > 500
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert not changed, f"{len(changed)} renewal scores changed, e.g. {changed[:2]}"
