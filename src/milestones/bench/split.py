"""Holding back the last day: the generated events files are cut by received_at date with DuckDB.

Every event row received before the held-back day stays in a file of the same name and format as the one
it came from, in the same order (so the load sees the same files minus that day); the rows received on or
after it go, in file order, to one JSON Lines file of their own: the next day's landing.

- JSON Lines are read as lines (DuckDB's CSV reader, one varchar column, no quote, a delimiter valid JSON
  never holds) and written back byte for byte; a line's received_at is found with a regular expression, so
  a malformed line stays a malformed line. Blank lines are kept.
- CSV and Parquet rows are read as text columns. A held-back one becomes a JSON object of strings: the
  loader gives back exactly those strings (a JSON string value is read as its text), properties included.

Rows without a readable received_at stay in the first part (the loader puts the load time in its place).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from milestones.load.landing import RAW_TABLES, classify, is_ignored
from milestones.load.parse import JSONL_DELIMITER, sql_literal

EVENT_COLUMNS = RAW_TABLES["events"]
HELD_BACK_PREFIX = "events_held_back_"
RECEIVED_PATTERN = r'"received_at"\s*:\s*"([^"]*)"'


@dataclass
class SplitSummary:
    day: date
    base_rows: int = 0
    held_back_rows: int = 0
    held_back_file: Path | None = None
    files: dict[str, tuple[int, int]] = field(default_factory=dict)  # name: (rows kept, rows held back)


def _lines_reader(path: Path) -> str:
    return (
        f"read_csv({sql_literal(str(path))}, columns = {{'line': 'VARCHAR'}}, header = false, "
        f"auto_detect = false, delim = {sql_literal(JSONL_DELIMITER)}, quote = '', escape = '', "
        "new_line = '\\n', comment = '', skip = 0, strict_mode = true, max_line_size = 16777216)"
    )


def _lines_writer(path: Path) -> str:
    return (
        f"{sql_literal(str(path))} (FORMAT csv, HEADER false, DELIMITER {sql_literal(JSONL_DELIMITER)}, "
        "QUOTE '', ESCAPE '')"
    )


def _held_back(received_text: str, day: date) -> str:
    """SQL: the row was received on or after `day` (UTC)."""
    return (
        f"coalesce(cast(timezone('UTC', try_cast(nullif(trim({received_text}), '') AS timestamptz)) AS date) "
        f">= DATE '{day.isoformat()}', false)"
    )


def hold_back_day(connection: Any, source: Path, base: Path, day_dir: Path, day: date) -> SplitSummary:
    """Copy the landing folder `source` to `base`, minus the event rows received on or after `day`, which
    go to one JSON Lines file in `day_dir`. Files other than events are moved to `base` as they are; an
    events file is removed from `source` once it is cut (the folders can be as large as the disk)."""
    base.mkdir(parents=True, exist_ok=True)
    day_dir.mkdir(parents=True, exist_ok=True)
    connection.execute("SET preserve_insertion_order = true")
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE held_back (source_order INTEGER, rn BIGINT, line VARCHAR)"
    )
    summary = SplitSummary(day=day)
    for order, path in enumerate(sorted(source.iterdir(), key=lambda p: p.name)):
        if is_ignored(path.name) or not path.is_file():
            continue
        landing = classify(path)
        if landing is None or landing.table != "events" or landing.gzipped:
            shutil.move(str(path), base / path.name)
            continue
        kept, held = _cut(connection, path, base / path.name, landing.format, order, day)
        summary.files[path.name] = (kept, held)
        summary.base_rows += kept
        summary.held_back_rows += held
        path.unlink()
    target = day_dir / f"{HELD_BACK_PREFIX}{day.isoformat()}.jsonl"
    connection.execute(
        f"COPY (SELECT line FROM held_back ORDER BY source_order, rn) TO {_lines_writer(target)}"
    )
    connection.execute("DROP TABLE held_back")
    summary.held_back_file = target
    return summary


def _cut(connection: Any, path: Path, out: Path, fmt: str, order: int, day: date) -> tuple[int, int]:
    """Write the rows of one events file received before `day` to `out`; keep the others in held_back."""
    if fmt == "jsonl":
        rows = (
            f"SELECT line, row_number() OVER () AS rn, "
            f"{_held_back(f'regexp_extract(line, {sql_literal(RECEIVED_PATTERN)}, 1)', day)} AS is_held "
            f"FROM {_lines_reader(path)}"
        )
        held_line = "line"
        writer = _lines_writer(out)
        kept_columns = "line"
    else:
        reader = (
            f"read_parquet({sql_literal(str(path))})"
            if fmt == "parquet"
            else f"read_csv({sql_literal(str(path))}, header = true, all_varchar = true, auto_detect = true)"
        )
        columns = [row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
        kept_columns = ", ".join(f'"{name}"' for name in columns)
        received = "received_at" if "received_at" in columns else "NULL"
        rows = f"SELECT *, row_number() OVER () AS rn, {_held_back(received, day)} AS is_held FROM {reader}"
        pairs = ", ".join(
            f"{sql_literal(name)}, CAST({name if name in columns else 'NULL'} AS VARCHAR)"
            for name in EVENT_COLUMNS
        )
        held_line = f"CAST(json_object({pairs}) AS VARCHAR)"
        writer = (
            f"{sql_literal(str(out))} (FORMAT parquet)"
            if fmt == "parquet"
            else f"{sql_literal(str(out))} (FORMAT csv, HEADER true)"
        )
    connection.execute(f"CREATE OR REPLACE TEMP TABLE cut_rows AS {rows}")
    connection.execute(
        f"INSERT INTO held_back SELECT {order}, rn, {held_line} FROM cut_rows WHERE is_held ORDER BY rn"
    )
    connection.execute(
        f"COPY (SELECT {kept_columns} FROM cut_rows WHERE NOT is_held ORDER BY rn) TO {writer}"
    )
    kept, held = connection.execute(
        "SELECT count(*) FILTER (WHERE NOT is_held), count(*) FILTER (WHERE is_held) FROM cut_rows"
    ).fetchone()
    connection.execute("DROP TABLE cut_rows")
    return int(kept), int(held)
