"""Writes that survive a crash: a file's bytes and a folder's entries flushed to disk, and a rename that
leaves the file whole under one name or the other."""

from __future__ import annotations

import os
from pathlib import Path


def fsync(path: Path) -> None:
    """Flush a file's bytes, or a folder's entries (a rename into it), to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def durable_replace(source: Path, target: Path) -> None:
    """Rename a written file once its bytes are on disk, then make the new name durable too."""
    fsync(source)
    os.replace(source, target)
    fsync(target.parent)
