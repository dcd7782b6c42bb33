"""Helpers for the Dagster and validation tests: a small landing folder, the definitions loaded with
dbt's artifacts in a temporary folder."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

END_DATE = date(2026, 9, 30)


def small_landing(out: Path, accounts: int = 30, days: int = 90, seed: int = 3) -> Path:
    """A clean generated landing folder (no dirty rows): every validation passes on it."""
    from milestones.sample import generate

    generate(
        accounts=accounts, days=days, seed=seed, out=out, dirty_rate=0.0, end_date=END_DATE, progress=False
    )
    return out


def first_account(landing: Path) -> str:
    import csv

    with (landing / "accounts.csv").open(newline="") as handle:
        return next(csv.DictReader(handle))["account_id"]


def write_events(path: Path, account_id: str, events: list[tuple[str, dict]]) -> Path:
    """A JSON Lines landing file of events (name, properties) of one account, on the data's last days."""
    lines = []
    for number, (name, properties) in enumerate(events, start=1):
        stamp = f"{END_DATE.isoformat()}T0{number % 9}:00:00Z"
        lines.append(
            json.dumps(
                {
                    "event_id": f"evt_test_{path.stem}_{number:04d}",
                    "account_id": account_id,
                    "user_id": "usr_test",
                    "event_name": name,
                    "occurred_at": stamp,
                    "received_at": stamp,
                    "properties": properties,
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def set_mtime(path: Path, seconds_ago: float) -> None:
    import time

    moment = time.time() - seconds_ago
    os.utime(path, (moment, moment))
