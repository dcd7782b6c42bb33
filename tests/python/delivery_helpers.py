"""Helpers for the delivery tests (CRM sync and export, publish, report): private copies of the
session's built warehouse, landed account changes, and rebuilds. No mocks: real DuckDB files."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb

SYNC = "main_marts.crm_account_milestone_sync"


def copy_warehouse(source: Path, directory: Path) -> Path:
    """A private copy of a built warehouse (the session's one is shared and must not change)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "milestones.duckdb"
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target


def query(database: Path, sql: str, parameters: list[Any] | None = None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


def execute(database: Path, *statements: str) -> None:
    with duckdb.connect(str(database)) as connection:
        for statement in statements:
            connection.execute(statement)


def synced_accounts(database: Path) -> dict[str, str]:
    """crm_id -> account_id of the CRM sync table."""
    return dict(query(database, f"select crm_id, account_id from {SYNC} order by crm_id"))


def land_account_changes(landing: Path, out_dir: Path, changes: dict[str, dict[str, str]]) -> Path:
    """Re-land the given accounts (account_id -> changed fields) as a new accounts file in out_dir."""
    with (landing / "accounts.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [row for row in reader if row["account_id"] in changes]
    assert len(rows) == len(changes), "every changed account must be in the landing file"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "accounts_changed.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, **changes[row["account_id"]]})
    return out_dir


def read_feed(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]
