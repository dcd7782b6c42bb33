"""Progress of the long steps (docs/rules.md §2: long steps show progress), on stderr.

On a terminal: a live bar with what runs, how much is done of the total and the time elapsed; lines
printed meanwhile (by `Bar.log`, `print` or dbt) appear above it. Elsewhere (CI logs, pipes, tests
capturing output): a few plain lines so that logs stay short - one when the step starts, then at most
one every PLAIN_EVERY_SECONDS once another PLAIN_EVERY_SHARE is done (or every PLAIN_HEARTBEAT_SECONDS
in any case), and one when it ends. MILESTONES_PROGRESS=0 silences both.

    with progress("load", total=size, unit="bytes") as bar:
        bar.update(detail=name)
        bar.advance(read)
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager
from typing import IO, Any, TypeVar

ENV_VARIABLE = "MILESTONES_PROGRESS"
OFF_VALUES = {"0", "off", "false", "no"}
PLAIN_EVERY_SECONDS = 10.0
PLAIN_EVERY_SHARE = 0.1
PLAIN_HEARTBEAT_SECONDS = 60.0
BAR_WIDTH = 30
ELAPSED_WIDTH = 7  # "0:01:28"
MIN_DETAIL = 10  # a detail cut shorter than this says nothing: none is shown

T = TypeVar("T")

# The live rich display, when one runs: a nested step adds its bar to it (rich draws one at a time).
_live: Any = None
_live_lock = threading.Lock()


def silenced() -> bool:
    """Whether MILESTONES_PROGRESS turns progress off."""
    return os.environ.get(ENV_VARIABLE, "").strip().lower() in OFF_VALUES


class Bar:
    """One step's progress: `advance`, `update` and `log` do the right thing in every mode."""

    def __init__(
        self, label: str, total: float | None, unit: str, mode: str, stream: IO[str], lines: bool = True
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.mode = mode  # "live", "plain" or "off"
        self.lines = lines  # in plain mode, the start, progress and end lines (`log` prints anyway)
        self.completed = 0.0
        self.detail = ""
        self._stream = stream
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._last_line_at = self._started
        self._last_line_done = 0.0
        self._display: Any = None  # the rich display drawing this bar (live mode)
        self._task: Any = None

    @property
    def live(self) -> bool:
        """A bar is drawn: lines it stands for (one per item done) can be left out."""
        return self.mode == "live"

    def advance(self, amount: float = 1) -> None:
        with self._lock:
            self.completed = _snapped(self.completed + amount)
        self._refresh()

    def update(
        self, *, completed: float | None = None, total: float | None = None, detail: str | None = None
    ) -> None:
        with self._lock:
            if completed is not None:
                self.completed = completed
            if total is not None:
                self.total = total
            if detail is not None:
                self.detail = detail
        self._refresh()

    def log(self, message: str) -> None:
        """One line of the step's own log: above the bar on a terminal, as is elsewhere."""
        if self.mode == "live":
            from rich.text import Text

            # colours a line brings (dbt's) are kept; nothing else is read as markup
            self._display.console.print(Text.from_ansi(message), highlight=False, soft_wrap=True)
        elif self.mode == "plain":
            self._stream.write(message + "\n")
            self._stream.flush()

    # -- drawing ---------------------------------------------------------------------------------------
    def _refresh(self) -> None:
        if self.mode == "live":
            self._display.update(
                self._task, completed=self.completed, total=self.total, detail=self._fitted_detail()
            )
        elif self.mode == "plain" and self.lines:
            self._maybe_plain_line()

    def _fitted_detail(self) -> str:
        """The detail, cut to the room the terminal leaves it (none on a narrow one): after the bar, so
        the bar does not move when the detail changes."""
        done = _with_unit(_done_of_total(self.completed, self.total, self.unit), self.unit)
        # label, bar, done, elapsed and the spaces between them; the detail gets what is left
        room = self._display.console.width - len(self.label) - BAR_WIDTH - len(done) - ELAPSED_WIDTH - 5
        if room < MIN_DETAIL:
            return ""
        return self.detail if len(self.detail) <= room else self.detail[: room - 1] + "…"

    def _maybe_plain_line(self) -> None:
        with self._lock:
            now = time.monotonic()
            quiet_for = now - self._last_line_at
            share = (self.completed - self._last_line_done) / self.total if self.total else 1.0
            if quiet_for < PLAIN_HEARTBEAT_SECONDS and (
                quiet_for < PLAIN_EVERY_SECONDS or share < PLAIN_EVERY_SHARE
            ):
                return
            self._last_line_at, self._last_line_done = now, self.completed
            line = f"{self.label}: {self._done_text()} after {_duration(now - self._started)}"
            if self.detail:
                line += f", {self.detail}"
        self.log(line)

    def _done_text(self) -> str:
        done = _with_unit(_amount(self.completed, self.unit), self.unit)
        if not self.total:
            return done
        percent = min(100, int(100 * self.completed / self.total))
        return f"{_with_unit(_done_of_total(self.completed, self.total, self.unit), self.unit)} ({percent}%)"

    def _start(self) -> None:
        if self.mode == "plain" and self.lines:
            total = f" ({_with_unit(_amount(self.total, self.unit), self.unit)})" if self.total else ""
            self.log(f"{self.label}: started{total}")

    def _finish(self) -> None:
        if self.mode == "live":
            self.update(detail="")
        elif self.mode == "plain" and self.lines:
            done = _with_unit(_amount(self.completed, self.unit), self.unit)
            self.log(f"{self.label}: done, {done} in {_duration(time.monotonic() - self._started)}")


@contextmanager
def progress(
    label: str,
    total: float | None = None,
    *,
    unit: str = "",
    enabled: bool = True,
    plain: bool = True,
    stream: IO[str] | None = None,
) -> Iterator[Bar]:
    """A progress bar for the block: on `stream` (default stderr) when it is a terminal, else plain lines.

    `enabled=False` (a caller's `progress=False`) or MILESTONES_PROGRESS=0 shows nothing at all;
    `plain=False` leaves out the plain lines, for a step whose own lines (`Bar.log`, dbt's) already say
    how far it is.
    `unit` "bytes" shows megabytes; any other unit is a count ("files", "suites").
    """
    stream = stream if stream is not None else sys.stderr
    if not enabled or silenced():
        mode = "off"
    elif _is_terminal(stream):
        mode = "live"
    else:
        mode = "plain"
    bar = Bar(label, total, unit, mode, stream, lines=plain)
    if mode != "live":
        bar._start()
        yield bar
        bar._finish()  # not after a failure: the failure's message comes next
        return
    with _live_display(stream) as (display, nested):
        bar._display = display
        bar._task = display.add_task(label, total=total, unit=unit, detail="")
        try:
            yield bar
            bar._finish()
        finally:
            bar.mode = "off"  # a thread still reporting after the block draws nothing
            if nested:  # the outer step's bar stays alone
                display.remove_task(bar._task)


def track(
    items: Iterable[T],
    label: str,
    *,
    total: int | None = None,
    unit: str = "",
    enabled: bool = True,
    plain: bool = True,
) -> Iterator[T]:
    """The items, advancing a bar by one for each item done."""
    if total is None and isinstance(items, Sized):
        total = len(items)
    with progress(label, total, unit=unit, enabled=enabled, plain=plain) as bar:
        for item in items:
            yield item
            bar.advance()


@contextmanager
def _live_display(stream: IO[str]) -> Iterator[tuple[Any, bool]]:
    """The rich display every live bar joins, and whether another step started it: the first step
    starts it and stops it when it ends (rich draws one live display at a time)."""
    global _live
    with _live_lock:
        nested = _live is not None
        if not nested:
            _live = _new_display(stream)
            _live.start()
        display = _live
    try:
        yield display, nested
    finally:
        if not nested:
            with _live_lock:
                _live = None
            display.stop()


def _new_display(stream: IO[str]) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
    from rich.text import Text

    class DoneColumn(ProgressColumn):
        """Done of total in the bar's unit: "120/353", "57.2/174.7 MB"."""

        def render(self, task: Any) -> Text:
            unit = task.fields.get("unit", "")
            text = _with_unit(_done_of_total(task.completed, task.total, unit), unit)
            return Text(text, style="progress.download")

    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(bar_width=BAR_WIDTH),
        DoneColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[detail]}", markup=False, style="progress.description"),
        # inside a live display other code runs (its own rich progress bar), the bar joins it: rich
        # draws the live displays of one console together, two consoles would overwrite each other
        console=_console_of_a_live_display() or Console(file=stream),
        # print() to a terminal goes above the bar; print() to a file or a pipe stays where it goes
        redirect_stdout=sys.stdout.isatty(),
        redirect_stderr=True,
    )


def _console_of_a_live_display() -> Any:
    """rich's global console when a live display runs on it, else None (rich has no public call
    for it: its stack of live displays is read)."""
    import rich

    console = rich.get_console()
    return console if getattr(console, "_live_stack", None) else None


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def _snapped(value: float) -> float:
    """A whole number when the value is one but for rounding: thirds of an item add up to a full bar."""
    whole = round(value)
    return float(whole) if abs(value - whole) < 1e-6 else value


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return "?"
    if unit == "bytes":
        return f"{value / 1e6:,.1f}"
    return f"{int(round(value, 6)):,}"  # float steps (1/3 + 1/3 + 1/3) count as whole items


def _done_of_total(completed: float, total: float | None, unit: str) -> str:
    done = _amount(completed, unit)
    return f"{done}/{_amount(total, unit)}" if total else done


def _with_unit(amount: str, unit: str) -> str:
    name = "MB" if unit == "bytes" else unit
    return f"{amount} {name}" if name else amount


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"
