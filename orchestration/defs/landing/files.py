"""Which landing files are new: the sensor's bookkeeping, kept pure so that it can be tested alone.

A file is known by its name, size and modification time; when those change, its sha256 decides (a
file touched or copied again with the same bytes is not new). The state is the sensor's cursor.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileStat:
    name: str
    size: int
    mtime_ns: int


def landing_file_names(directory: Path) -> list[str]:
    """The files of the folder the loader would load (known name prefix and format), sorted."""
    from milestones.load.landing import classify, is_ignored

    if not directory.is_dir():
        return []
    return sorted(
        path.name
        for path in directory.iterdir()
        if path.is_file() and not is_ignored(path.name) and classify(path) is not None
    )


def scan(directory: Path, *, settle_seconds: float = 0.0, now: float | None = None) -> list[FileStat]:
    """The landing files with their size and mtime; files modified in the last `settle_seconds` are
    left out (they may still be being written) and will be seen by a later scan."""
    now = time.time() if now is None else now
    stats = []
    for name in landing_file_names(directory):
        try:
            info = (directory / name).stat()
        except FileNotFoundError:  # removed between the listing and now
            continue
        if now - info.st_mtime < settle_seconds:
            continue
        stats.append(FileStat(name=name, size=info.st_size, mtime_ns=info.st_mtime_ns))
    return stats


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def diff_landing(
    seen: dict[str, dict[str, object]],
    current: list[FileStat],
    checksum: Callable[[str], str],
) -> tuple[list[str], dict[str, dict[str, object]]]:
    """(names of the new or changed files, the state to remember next).

    `seen` maps a file name to the size, mtime and sha256 recorded when it was last seen; `checksum`
    gives the sha256 of a file by name and is only called for files whose size or mtime changed.
    Files gone from the folder are forgotten.
    """
    new: list[str] = []
    state: dict[str, dict[str, object]] = {}
    for stat in current:
        before = seen.get(stat.name)
        if before and before.get("size") == stat.size and before.get("mtime_ns") == stat.mtime_ns:
            state[stat.name] = dict(before)
            continue
        digest = checksum(stat.name)
        state[stat.name] = {"size": stat.size, "mtime_ns": stat.mtime_ns, "sha256": digest}
        if not before or before.get("sha256") != digest:
            new.append(stat.name)
    return new, state


def first_state(
    current: list[FileStat], checksum: Callable[[str], str], loaded: set[str]
) -> dict[str, dict[str, object]]:
    """The state to start from when the sensor has no cursor yet: the files whose bytes the warehouse
    has already loaded count as seen, so a first start (a new Dagster home) launches nothing for them."""
    state: dict[str, dict[str, object]] = {}
    for stat in current:
        digest = checksum(stat.name)
        if digest in loaded:
            state[stat.name] = {"size": stat.size, "mtime_ns": stat.mtime_ns, "sha256": digest}
    return state


def read_cursor(cursor: str | None) -> dict[str, dict[str, object]]:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except json.JSONDecodeError:
        return {}
    return state if isinstance(state, dict) else {}


def write_cursor(state: dict[str, dict[str, object]]) -> str:
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def run_key(new_files: list[str], state: dict[str, dict[str, object]]) -> str:
    """One run per set of new file versions: the same files seen twice do not launch two runs."""
    digest = hashlib.sha256()
    for name in sorted(new_files):
        digest.update(f"{name}:{state[name]['sha256']}\n".encode())
    return "landing-" + digest.hexdigest()[:16]


def settle_seconds() -> float:
    """MILESTONES_LANDING_SETTLE_SECONDS (default 10): how long a file must be unchanged to count."""
    return float(os.environ.get("MILESTONES_LANDING_SETTLE_SECONDS", "10"))
