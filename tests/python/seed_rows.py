"""A seed table as loaded compared with its CSV file (docs/rules.md §4, §7): an empty cell is null,
quotes and commas survive, numbers are numbers."""

from __future__ import annotations

import csv
import math
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from milestones import paths

SEEDS = sorted((paths.PROJECT_DIR / "seeds").glob("*.csv"))
Row = tuple[object, ...]


def _csv_rows(seed: Path) -> tuple[list[str], list[list[str]]]:
    with seed.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def _as_loaded(cell: str, sample: object) -> object:
    """The CSV cell in the form of the loaded column's values (sample: one of them, not null)."""
    if cell == "":
        return None
    if isinstance(sample, bool):
        return cell.strip().lower() == "true"
    if isinstance(sample, int | float | Decimal):
        return float(cell)
    return cell


def _comparable(value: object) -> object:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def assert_same_rows(seed: Path, columns: list[str], loaded: list[Row]) -> None:
    header, rows = _csv_rows(seed)
    assert columns == header, f"{seed.stem}: columns"
    assert len(loaded) == len(rows), f"{seed.stem}: row count"
    samples = [next((row[i] for row in loaded if row[i] is not None), "") for i in range(len(header))]
    expected = Counter(tuple(_as_loaded(c, s) for c, s in zip(row, samples, strict=True)) for row in rows)
    actual = Counter(tuple(_comparable(value) for value in row) for row in loaded)
    assert actual == expected, f"{seed.stem}: {sorted(map(str, actual - expected))[:3]}"
    floats = [value for row in loaded for value in row if isinstance(value, float)]
    assert all(math.isfinite(value) for value in floats), seed.stem
