"""`milestones demo`: the main job end to end on the embedded DuckDB, then a short summary."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from milestones import paths
from milestones.build import run_build
from milestones.warehouse import DuckDBWarehouse

DEMO_SEED = 7
DEMO_DIRTY_RATE = 0.01


def run_demo(accounts: int, days: int) -> int:
    landing = paths.landing_dir()
    if not _has_landing_files(landing):
        from milestones.sample import generate

        _say(f"no landing files in {landing}: generating {accounts} demo accounts over {days} days")
        print(generate(accounts=accounts, days=days, seed=DEMO_SEED, out=landing, dirty_rate=DEMO_DIRTY_RATE))

    from milestones.load import load_directory

    _say(f"loading {landing}")
    print(load_directory(landing))

    as_of = _last_day_of_data(landing)
    _say(f"building as of {as_of.isoformat()} (the last day of the demo data)")
    exit_code = run_build(as_of=as_of)
    if exit_code != 0:
        return exit_code
    from milestones.delivery.export import export_changes
    from milestones.delivery.report import write_report

    print(export_changes())
    report = write_report()
    print(summarize())
    print(f"report: {report}")
    return 0


def _has_landing_files(landing: Path) -> bool:
    return landing.is_dir() and any(not path.name.startswith(("_", ".")) for path in landing.iterdir())


def _last_day_of_data(landing: Path) -> date:
    """The generator's end date when it wrote a manifest; otherwise the last day an event arrived."""
    manifest = landing / "_manifest.json"
    if manifest.exists():
        return date.fromisoformat(json.loads(manifest.read_text())["end_date"])
    with DuckDBWarehouse(paths.duckdb_path()).connect(read_only=True) as connection:
        (last_day,) = connection.execute(
            "select cast(max(try_cast(received_at as timestamptz)) as date) from main_raw.events"
        ).fetchone()
    return min(last_day or date.today(), date.today())


def summarize() -> str:
    """Accounts, milestones completed, stalled accounts and the top interventions, as text."""
    with DuckDBWarehouse(paths.duckdb_path()).connect(read_only=True) as connection:
        accounts, completed, total = connection.execute(
            """
            select count(*), sum(milestones_completed), sum(milestones_total)
            from main_marts.dim_account_milestone_status
            """
        ).fetchone()
        # the queue holds the stalled accounts that are still customers
        (stalled,) = connection.execute("select count(*) from main_marts.mart_intervention_queue").fetchone()
        top = connection.execute(
            """
            select account_name, segment, milestone_name, days_overdue, playbook
            from main_marts.mart_intervention_queue
            order by priority_rank
            limit 5
            """
        ).fetchall()
    lines = [
        "",
        f"accounts: {accounts}",
        f"milestones completed: {completed} of {total}",
        f"stalled accounts (still customers): {stalled}",
        "top interventions:",
    ]
    for account_name, segment, milestone_name, days_overdue, playbook in top:
        lines.append(f"  {account_name} ({segment}) stuck on '{milestone_name}', {days_overdue} days overdue")
        lines.append(f"    next action: {_first_sentence(playbook)}")
    return "\n".join(lines)


def _first_sentence(text: str) -> str:
    sentence = text.split(". ")[0].rstrip(".")
    return sentence + "."


def _say(message: str) -> None:
    sys.stderr.write(f"milestones demo: {message}\n")
