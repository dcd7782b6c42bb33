"""The raw-layer contract and the landing folder: which file goes to which raw table, in which format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from milestones.errors import ArgumentError

# Data columns of each raw table, all text, in the order of docs/rules.md §3. The table is chosen by the
# landing file's name prefix, which is the table name.
RAW_TABLES: dict[str, tuple[str, ...]] = {
    "events": ("event_id", "account_id", "user_id", "event_name", "occurred_at", "received_at", "properties"),
    "accounts": ("account_id", "account_name", "segment", "signup_at", "arr", "crm_id", "owner"),
    "renewals": ("account_id", "renewal_date", "outcome", "arr_before", "arr_after"),
    "milestone_overrides": ("account_id", "milestone_id", "completed_at", "marked_by", "note"),
    "experiment_assignments": ("account_id", "experiment_id", "variant", "assigned_at"),
}

# Columns every raw row carries after its data columns.
METADATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_load_id", "bigint"),
    ("_file_name", "text"),
    ("_file_checksum", "text"),
    ("_loaded_at", "timestamp"),
    ("_row_number", "bigint"),
    ("_raw_record", "text"),
    ("_load_error", "text"),
)

# One row per loaded file, written in the same transaction as the file's rows.
LOADS_TABLE = "_loads"
LOADS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("load_id", "bigint"),
    ("file_name", "text"),
    ("file_checksum", "text"),
    ("table_name", "text"),
    ("format", "text"),
    ("row_count", "bigint"),
    ("loaded_at", "timestamp"),
)

# Name endings, longest first so that `.csv.gz` wins over a shorter match: (format, gzip-compressed).
EXTENSIONS: tuple[tuple[str, str, bool], ...] = (
    (".jsonl.gz", "jsonl", True),
    (".ndjson.gz", "jsonl", True),
    (".csv.gz", "csv", True),
    (".parquet", "parquet", False),
    (".ndjson", "jsonl", False),
    (".jsonl", "jsonl", False),
    (".csv", "csv", False),
)


def table_columns(table: str) -> list[str]:
    """All columns of a raw table: its data columns, then the metadata columns."""
    return [*RAW_TABLES[table], *(name for name, _ in METADATA_COLUMNS)]


@dataclass(frozen=True)
class LandingFile:
    path: Path
    table: str
    format: str  # csv | jsonl | parquet
    gzipped: bool

    @property
    def name(self) -> str:
        return self.path.name


def classify(path: Path) -> LandingFile | None:
    """The landing file of a name, or None when the name is not one the loader knows."""
    lowered = path.name.lower()
    # Longest prefix first, should a table name ever be a prefix of another one.
    table = next((t for t in sorted(RAW_TABLES, key=len, reverse=True) if lowered.startswith(t)), None)
    ending = next((e for e in EXTENSIONS if lowered.endswith(e[0])), None)
    if table is None or ending is None:
        return None
    return LandingFile(path=path, table=table, format=ending[1], gzipped=ending[2])


def is_ignored(name: str) -> bool:
    """Names starting with `_` or `.` (a manifest, editor or OS files) are not landing files."""
    return name.startswith(("_", "."))


def discover(directory: Path) -> list[LandingFile]:
    """The landing files of a folder in sorted name order (= load order). Unknown files are an error,
    raised before anything is loaded; sub-folders are not looked into."""
    if not directory.exists():
        raise ArgumentError(f"landing folder not found: {directory}")
    if not directory.is_dir():
        raise ArgumentError(f"not a folder: {directory}")
    files: list[LandingFile] = []
    unknown: list[str] = []
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        if is_ignored(path.name) or not path.is_file():
            continue
        landing = classify(path)
        if landing is None:
            unknown.append(path.name)
        else:
            files.append(landing)
    if unknown:
        shown = ", ".join(repr(name) for name in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise ArgumentError(
            f"unrecognised landing file{'s' if len(unknown) > 1 else ''} {shown} in {directory}: "
            f"a landing file's name starts with {_or(list(RAW_TABLES))} "
            f"and ends in {_or([e[0] for e in sorted(EXTENSIONS, key=lambda e: e[0])])} "
            "(names starting with _ or . are ignored)"
        )
    return files


def _or(items: list[str]) -> str:
    return ", ".join(items[:-1]) + " or " + items[-1]
