"""Progress of the long steps (milestones.progress): a live bar on a terminal, a few plain lines
elsewhere, nothing when MILESTONES_PROGRESS=0 or a caller says progress=False."""

from __future__ import annotations

import io
import json
import re

import pytest

from milestones import progress as progress_module
from milestones.progress import progress, track

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    """time.monotonic as the test sets it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def progress_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(progress_module.ENV_VARIABLE, raising=False)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(progress_module.time, "monotonic", clock)
    return clock


def _screen(stream: io.StringIO) -> str:
    return ANSI.sub("", stream.getvalue())


def test_off_a_terminal_a_few_plain_lines(clock: Clock) -> None:
    stream = io.StringIO()
    with progress("load", total=200e6, unit="bytes", stream=stream) as bar:
        for _ in range(200):  # 200 s, 1 MB a second
            clock.now += 1
            bar.update(detail="events.jsonl")
            bar.advance(1e6)
        bar.log("load: events.jsonl -> main_raw.events: 5 rows")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "load: started (200.0 MB)"
    assert lines[1] == "load: 20.0/200.0 MB (10%) after 20.0s, events.jsonl"
    assert lines[-2] == "load: events.jsonl -> main_raw.events: 5 rows"
    assert lines[-1] == "load: done, 200.0 MB in 3m20s"
    assert len(lines) <= 13  # start, one line per tenth, the log line, the end


def test_plain_lines_wait_at_least_ten_seconds(clock: Clock) -> None:
    stream = io.StringIO()
    with progress("validate", total=4, unit="suites", stream=stream) as bar:
        for _ in range(4):  # a quarter every 2 s: more than a tenth, but too soon for another line
            clock.now += 2
            bar.advance()
    assert stream.getvalue().splitlines() == [
        "validate: started (4 suites)",
        "validate: done, 4 suites in 8.0s",
    ]


def test_a_step_without_a_total_says_it_is_alive(clock: Clock) -> None:
    stream = io.StringIO()
    with progress("dbt build", stream=stream) as bar:
        clock.now += 61
        bar.advance()
    assert stream.getvalue().splitlines() == [
        "dbt build: started",
        "dbt build: 1 after 1m01s",
        "dbt build: done, 1 in 1m01s",
    ]


def test_no_end_line_after_a_failure() -> None:
    stream = io.StringIO()
    with pytest.raises(RuntimeError), progress("load", total=3, unit="files", stream=stream):
        raise RuntimeError("boom")
    assert stream.getvalue() == "load: started (3 files)\n"


def test_plain_false_keeps_only_the_step_s_own_lines() -> None:
    stream = io.StringIO()
    with progress("generate", total=10, unit="accounts", plain=False, stream=stream) as bar:
        bar.advance(10)
        bar.log("generate [   0.1s] done")
    assert stream.getvalue() == "generate [   0.1s] done\n"
    assert not bar.live


def test_on_a_terminal_a_bar_with_done_of_total_and_the_log_above_it() -> None:
    stream = Terminal()
    with progress("load", total=3, unit="files", stream=stream) as bar:
        assert bar.live
        for name in ("a.csv", "b.csv", "c.csv"):
            bar.update(detail=name)
            bar.advance()
            bar.log(f"load: {name} -> main_raw.accounts: 1 row")
    screen = _screen(stream)
    assert "load: a.csv -> main_raw.accounts: 1 row" in screen
    assert re.search(r"load ━+ 3/3 files 0:00:00", screen)
    assert "started" not in screen and "done," not in screen  # no plain lines on a terminal


def test_bytes_show_as_megabytes_on_a_terminal() -> None:
    stream = Terminal()
    with progress("load", total=174.7e6, unit="bytes", stream=stream) as bar:
        bar.update(completed=57.2e6)
    assert "57.2/174.7 MB" in _screen(stream)


def test_a_step_inside_another_joins_its_display() -> None:
    stream = Terminal()
    with progress("build", total=2, unit="steps", stream=stream) as outer:
        with progress("validate", total=2, unit="suites", stream=stream) as inner:
            inner.advance(2)
        outer.advance(2)
    assert "2/2 steps" in _screen(stream)
    assert progress_module._live is None  # the display stopped with the outer step


@pytest.mark.parametrize("value", ["0", "off", "false", "no"])
def test_the_environment_variable_silences_everything(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(progress_module.ENV_VARIABLE, value)
    for stream in (io.StringIO(), Terminal()):
        with progress("load", total=1, unit="files", stream=stream) as bar:
            bar.advance()
            bar.log("load: a.csv -> main_raw.accounts: 1 row")
        assert stream.getvalue() == ""
        assert bar.mode == "off"


def test_a_caller_s_progress_false_silences_everything() -> None:
    for stream in (io.StringIO(), Terminal()):
        with progress("generate", total=1, enabled=False, stream=stream) as bar:
            bar.advance()
            bar.log("generate [   0.1s] done")
        assert stream.getvalue() == ""


def test_track_gives_every_item(capsys: pytest.CaptureFixture[str]) -> None:
    assert list(track(["a", "b", "c"], "publish", unit="tables")) == ["a", "b", "c"]
    assert capsys.readouterr().err.splitlines()[-1].startswith("publish: done, 3 tables in ")


def _dbt_line(name: str, message: str, level: str = "info") -> str:
    info = {"name": name, "level": level, "msg": message, "ts": "2026-09-30T10:11:12.000000Z"}
    return json.dumps({"info": info, "data": {}}) + "\n"


DBT_LINES = [
    _dbt_line("LogHookStartLine", "1 of 1 START hook: milestone_warehouse.on-run-start.0 ...... [RUN]"),
    _dbt_line("LogStartLine", "1 of 3 START sql table model main_marts.fct_events ........ [RUN]"),
    _dbt_line("LogModelResult", "1 of 3 OK created sql table model main_marts.fct_events ... [OK in 1.0s]"),
    _dbt_line("LogStartLine", "2 of 3 START test not_null_fct_events_event_id ............ [RUN]"),
    _dbt_line(
        "LogTestResult", "2 of 3 FAIL 2 not_null_fct_events_event_id ....... [FAIL 2 in 0.1s]", "error"
    ),
    _dbt_line("SkippingDetails", "3 of 3 SKIP relation main_marts.mart_x ........................ [SKIP]"),
    _dbt_line("StatsLine", "Done. PASS=1 ERROR=1 SKIP=1"),
]


def test_dbt_node_lines_drive_the_bar_off_a_terminal_shown_as_before(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from milestones.build.dbt import _ProgressStream

    stream = io.StringIO()
    with progress("dbt build", unit="nodes", plain=False, stream=stream) as bar:
        dbt = _ProgressStream(bar)
        for line in DBT_LINES:
            dbt.feed(line)
    assert (bar.completed, bar.total) == (3, 3)
    assert stream.getvalue() == ""  # dbt's own lines are the progress
    shown = capsys.readouterr().out.splitlines()
    assert len(shown) == len(DBT_LINES)
    assert shown[1] == "10:11:12  1 of 3 START sql table model main_marts.fct_events ........ [RUN]"


def test_dbt_node_lines_give_way_to_the_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from milestones.build.dbt import _ProgressStream

    screen, out = Terminal(), Terminal()
    monkeypatch.setattr("sys.stdout", out)
    with progress("dbt build", unit="nodes", plain=False, stream=screen) as bar:
        dbt = _ProgressStream(bar)
        for line in DBT_LINES:
            dbt.feed(line)
    monkeypatch.undo()
    text = _screen(screen) + _screen(out)
    assert re.search(r"dbt build ━+ 3/3 nodes", text)
    assert "FAIL 2 not_null_fct_events_event_id" in text  # a failure is still a line
    assert "Done. PASS=1 ERROR=1 SKIP=1" in text
    for replaced in ("START", "OK created", "SKIP relation"):
        assert replaced not in text


def test_shares_of_an_item_add_up_to_the_whole() -> None:
    with progress("validate", total=2, unit="suites", stream=io.StringIO()) as bar:
        for _ in range(3):
            bar.advance(1 / 3)
        for _ in range(7):
            bar.advance(1 / 7)
    assert bar.completed == 2.0
