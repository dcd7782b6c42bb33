"""Checks of a built warehouse against the ground truth `milestones generate` writes beside its landing
files (`_manifest.json`, `_truth_milestones.csv`): the same checks for the project's sample and for any
other definition set (tests/definitions/), given the warehouse, the landing folder and the as-of day.

Functions return what was found and what the truth expects; the tests assert, so pytest shows both.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

MARTS_SCHEMA = "main_marts"
# The tables of docs/rules.md §6 (and the other tables README.md lists) that a build fills whenever the
# landing data has valid events, accounts, milestones completed and renewals; the others are checked
# by `marts_expected_non_empty`.
ALWAYS_FILLED = (
    "fct_events",
    "fct_account_milestones",
    "dim_account_milestone_status",
    "fct_account_status_history",
    "mart_segment_milestone_baselines",
    "crm_account_milestone_sync",
    "crm_account_milestone_changes",
    "fct_health_score_components",
    "mart_onboarding_cohorts",
    "mart_retention_by_milestone_depth",
)
RENEWAL_TABLES = (
    "fct_renewal_health_scores",
    "mart_health_score_backtest",
    "mart_health_score_backtest_bands",
    "mart_milestone_candidates",
    "mart_retention_by_velocity_quartile",
)
# the tables that may be empty however good the landing data (no stall, no band movement yet, no
# stages or experiments seeded, no bad event)
MAY_BE_EMPTY = (
    "mart_intervention_queue",
    "mart_health_band_movements",
    "fct_account_stage_transitions",
    "mart_experiment_results",
    "fct_event_contract_violations",
    "mart_event_contract_violation_rates",
)
# every table a build makes for BI tools and reverse-ETL (docs/rules.md §6, README.md)
MARTS = ALWAYS_FILLED + RENEWAL_TABLES + MAY_BE_EMPTY


# ------------------------------------------------------------------------------------------ reading
def manifest(landing: Path) -> dict:
    return json.loads((landing / "_manifest.json").read_text())


@contextmanager
def _result(database: Path, sql: str, params: list | None) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(database), read_only=True) as connection:
        yield connection.execute(sql, params or [])


def query(database: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with _result(database, sql, params) as result:
        return result.df()


def rows(database: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows as DuckDB returns them (None stays None: rows compare equal across warehouses)."""
    with _result(database, sql, params) as result:
        return result.fetchall()


def row_count(database: Path, table: str, schema: str = MARTS_SCHEMA) -> int:
    ((count,),) = rows(database, f"select count(*) from {schema}.{table}")
    return int(count)


def tables(database: Path, schema: str = MARTS_SCHEMA) -> set[str]:
    sql = "select table_name from information_schema.tables where table_schema = ?"
    return {name for (name,) in rows(database, sql, [schema])}


def _utc_text(values: pd.Series) -> pd.Series:
    """Timestamps (naive UTC or zone-aware) as `YYYY-MM-DDTHH:MM:SSZ`, empty for none."""
    stamps = pd.to_datetime(values, utc=True)
    return stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("")


# ------------------------------------------------------------------------------------------ quarantine
def quarantine_against_manifest(database: Path, landing: Path) -> tuple[dict, dict, int, int]:
    """(quarantined rows per reason, the dirty rows per reason the generator made, valid events,
    the valid events it wrote): each dirty row breaks exactly the rule the generator meant."""
    found = query(
        database, f"select reason, count(*) as n from {MARTS_SCHEMA}.fct_event_contract_violations group by 1"
    )
    by_reason = {r: int(n) for r, n in zip(found.reason, found.n, strict=True)}
    made = manifest(landing)
    return (
        by_reason,
        made["dirty"]["by_reason"],
        row_count(database, "fct_events"),
        made["counts"]["events_valid"],
    )


# ------------------------------------------------------------------------------------------ milestones
def _target_days(seeds_dir: Path) -> dict[tuple[str, str], float]:
    with (seeds_dir / "milestones.csv").open(newline="", encoding="utf-8") as seed:
        return {(r["segment"], r["milestone_id"]): float(r["target_days"]) for r in csv.DictReader(seed)}


def expected_account_milestones(landing: Path, seeds_dir: Path, as_of: date) -> pd.DataFrame:
    """Per account and milestone, what docs/rules.md §6 makes of the generator's truth as of a day:
    completed_at, completion_source, status, and for the active milestone the days waiting (whole UTC
    days from the previous-sequence completion, signup for sequence 1, to the as-of day)."""
    truth = pd.read_csv(landing / "_truth_milestones.csv", dtype=str, keep_default_na=False)
    signup = pd.read_csv(landing / "accounts.csv", dtype=str, keep_default_na=False).set_index("account_id")
    truth["sequence"] = truth.sequence.astype(int)
    done = pd.to_datetime(truth.completed_at.replace("", None), utc=True)
    counts = done.notna() & (done.dt.date <= as_of)
    truth["completed_at"] = truth.completed_at.where(counts, "")
    truth["completion_source"] = truth.completion_source.where(counts, "")
    truth = truth.sort_values(["account_id", "sequence"]).reset_index(drop=True)
    incomplete = truth.completed_at == ""
    first_open = truth[incomplete].groupby("account_id").sequence.min()
    lowest = truth.account_id.map(first_open)
    truth["status"] = "pending"
    truth.loc[~incomplete, "status"] = "completed"
    truth.loc[incomplete & (truth.sequence == lowest), "status"] = "active"
    # the active milestone's clock: the previous sequence's completion, or signup
    previous = truth.groupby("account_id").completed_at.shift(1)
    start = previous.where(truth.sequence > 1, truth.account_id.map(signup.signup_at))
    start_day = pd.to_datetime(start.replace("", None), utc=True).dt.tz_localize(None).dt.normalize()
    waiting = (pd.Timestamp(as_of) - start_day).dt.days
    truth["days_waiting"] = waiting.where(truth.status == "active")
    targets = _target_days(seeds_dir)
    truth["target_days"] = [targets[(s, m)] for s, m in zip(truth.segment, truth.milestone_id, strict=True)]
    columns = ["account_id", "segment", "milestone_id", "sequence", "status", "completed_at"]
    return truth[[*columns, "completion_source", "days_waiting", "target_days"]]


def built_account_milestones(database: Path) -> pd.DataFrame:
    built = query(
        database,
        "select account_id, milestone_id, status, completed_at, completion_source, days_waiting,"
        " stall_threshold_days, is_stalled, days_overdue"
        f" from {MARTS_SCHEMA}.fct_account_milestones",
    )
    built["completed_at"] = _utc_text(built.completed_at)
    built["completion_source"] = built.completion_source.fillna("")
    return built


def account_milestone_mismatches(
    database: Path, landing: Path, seeds_dir: Path, as_of: date, threshold: str = "target_days"
) -> dict[str, pd.DataFrame]:
    """Per checked column, the account-milestone rows where fct_account_milestones differs from the truth
    (empty frames when it agrees). `threshold` is the stall threshold the truth's stalls are measured
    against: `target_days` (a segment without settings, docs/rules.md §4), or `built` to take the
    warehouse's own threshold (peers' p75 depends on the other accounts, not on one account's truth)."""
    expected = expected_account_milestones(landing, seeds_dir, as_of)
    built = built_account_milestones(database)
    both = expected.merge(built, on=["account_id", "milestone_id"], how="outer", suffixes=("", "_built"))
    both["_expected_rows"] = both.status.notna()
    both["_built_rows"] = both.status_built.notna()
    out = {"rows": both[~(both._expected_rows & both._built_rows)]}
    both = both[both._expected_rows & both._built_rows].copy()
    for column in ("status", "completed_at", "completion_source"):
        out[column] = both[both[column] != both[f"{column}_built"]]
    active = both[both.status == "active"]
    out["days_waiting"] = active[active.days_waiting != active.days_waiting_built]
    limit = active.target_days if threshold == "target_days" else active.stall_threshold_days
    if threshold == "target_days":
        out["stall_threshold_days"] = active[active.stall_threshold_days != active.target_days]
    stalled = active.days_waiting > limit
    overdue = (active.days_waiting - limit).where(stalled, 0)
    out["is_stalled"] = active[active.is_stalled.astype(bool) != stalled]
    out["days_overdue"] = active[active.days_overdue.astype(float) != overdue.astype(float)]
    not_active = both[both.status != "active"]
    out["is_stalled (not active)"] = not_active[not_active.is_stalled.astype(bool)]
    return {column: rows for column, rows in out.items()}


def describe(mismatches: dict[str, pd.DataFrame], shown: int = 5) -> str:
    """The columns that differ, with a few of their rows, for an assertion message."""
    lines = []
    for column, rows in mismatches.items():
        if len(rows):
            lines.append(f"{column}: {len(rows)} rows differ, e.g.\n{rows.head(shown).to_string()}")
    return "\n".join(lines)


def stalled_accounts(database: Path, landing: Path, as_of: date) -> tuple[set[str], set[str]]:
    """(accounts in mart_intervention_queue, accounts the truth has stalled and not churned by the
    as-of day): the queue holds one row per stalled account that has not churned."""
    queued = set(query(database, f"select account_id from {MARTS_SCHEMA}.mart_intervention_queue").account_id)
    stalled = set(
        query(
            database, f"select account_id from {MARTS_SCHEMA}.fct_account_milestones where is_stalled"
        ).account_id
    )
    accounts = pd.read_csv(landing / "_truth_accounts.csv", dtype=str, keep_default_na=False)
    churned_on = pd.to_datetime(accounts.churned_on.replace("", None))
    churned = set(accounts.account_id[churned_on.notna() & (churned_on <= pd.Timestamp(as_of))])
    return queued, stalled - churned


# ------------------------------------------------------------------------------------------ marts
def marts_expected_non_empty(landing: Path) -> tuple[str, ...]:
    """The tables the landing data must fill: every table of ALWAYS_FILLED, and those read from
    renewals when some account renewed and some churned."""
    renewals = pd.read_csv(landing / "renewals.csv", dtype=str, keep_default_na=False)
    outcomes = set(renewals.outcome)
    return ALWAYS_FILLED + (RENEWAL_TABLES if {"renewed", "churned"} <= outcomes else ())
