"""How far `milestones load` is, in bytes of landing files: the files done, plus the share of the
current file that DuckDB has worked through (its query progress, read from a second thread).

A file is read in two queries (stage, then write; see milestones.load.parse), each given the share of
the file's bytes it takes about as much time for: JSON is parsed while writing, CSV mostly while
staging, and Parquet is only read while writing. The per-file lines of the load go above the bar on a
terminal.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from milestones.load.landing import LandingFile
from milestones.progress import Bar, progress

POLL_SECONDS = 0.25
PHASES = ("reading", "writing")
# the share of a file's bytes its reading (staging) query stands for; the writing query takes the rest
READING_SHARE = {"jsonl": 0.15, "csv": 0.5, "parquet": 0.0}


class LoadMeter:
    """The load's bar: `start` and `finished` from the loading thread, `poll` from its own."""

    def __init__(self, bar: Bar, connection: Any) -> None:
        self.bar = bar
        self.connection = connection
        self.done_bytes = 0
        self.size = 0
        self.phase = 0
        self.reading_share = 0.5
        self._step = 0  # counts the steps, so a progress read during one is not applied to the next
        self._stopped = threading.Event()
        self._lock = threading.Lock()

    def start(self, landing: LandingFile, phase: int) -> None:
        """The file being loaded and its step: 0 reading it into the stage, 1 writing its rows."""
        with self._lock:
            self.size, self.phase, self._step = _size(landing), phase, self._step + 1
            self.reading_share = READING_SHARE.get(landing.format, 0.5)
            completed = self.done_bytes + self.size * self._share(0.0)
        self.bar.update(completed=completed, detail=f"{landing.name}: {PHASES[phase]}")

    def finished(self, landing: LandingFile, line: str) -> None:
        """The file is loaded (or skipped): its bytes count as done and its line is printed."""
        with self._lock:
            self.done_bytes += _size(landing)
            self.size, self._step = 0, self._step + 1
        self.bar.update(completed=self.done_bytes, detail="")
        self.bar.log(line)

    def _share(self, query_done: float) -> float:
        """The share of the current file done when its current query is `query_done` (0 to 1) done."""
        if self.phase == 0:
            return self.reading_share * query_done
        return self.reading_share + (1 - self.reading_share) * query_done

    def stop(self) -> None:
        self._stopped.set()

    def poll(self) -> None:
        """Moves the bar within the current file while DuckDB reads it (a file of gigabytes takes minutes)."""
        while not self._stopped.wait(POLL_SECONDS):
            step = self._step
            percent = self.connection.query_progress()  # -1 between queries
            with self._lock:
                if percent < 0 or not self.size or step != self._step:
                    continue
                completed = self.done_bytes + self.size * self._share(min(percent, 100) / 100)
            if completed > self.bar.completed:
                self.bar.update(completed=completed)


@contextmanager
def load_meter(files: Sequence[LandingFile], connection: Any) -> Iterator[LoadMeter]:
    """A bar over the bytes of `files`, moved by DuckDB's progress on `connection` (the parser's)."""
    with progress("load", sum(_size(landing) for landing in files), unit="bytes") as bar:
        meter = LoadMeter(bar, connection)
        if bar.mode == "off":
            yield meter
            return
        # DuckDB measures a query's progress only with its progress bar on (printing stays off)
        connection.execute("SET enable_progress_bar = true")
        connection.execute("SET enable_progress_bar_print = false")
        poller = threading.Thread(target=meter.poll, name="milestones-load-progress", daemon=True)
        poller.start()
        try:
            yield meter
        finally:
            meter.stop()
            poller.join()


def _size(landing: LandingFile) -> int:
    try:
        return landing.path.stat().st_size
    except OSError:  # the load itself says what is wrong with the file
        return 0
