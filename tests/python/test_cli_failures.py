"""Failures fit in one screen (docs/rules.md §2): the real `milestones` command, in a subprocess, ends
each kind of failure with a short message naming the file, row or test, and the promised exit code
(2: bad arguments and unknown targets; 1: every other failure).

What is counted: progress (dbt's included) goes to stdout, so the failure message is all of stderr.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from milestones import paths

MAX_MESSAGE_LINES = 5
HOLD_LOCK = (
    "import duckdb, sys, time\n"
    "connection = duckdb.connect(sys.argv[1])\n"
    "print('locked', flush=True)\n"
    "time.sleep(300)\n"
)
# the dbt project as dbt reads it (dbt_project.yml's paths); nothing else is needed to build it
DBT_PROJECT_PARTS = (
    "dbt_project.yml",
    "profiles.example.yml",
    "models",
    "macros",
    "seeds",
    "snapshots",
    "tests/dbt",
)


def _milestones() -> list[str]:
    """The console script of this environment (the module when the script is not installed)."""
    script = Path(sys.executable).with_name("milestones")
    return [str(script)] if script.exists() else [sys.executable, "-m", "milestones.cli"]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a run that writes only under tmp_path."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("MILESTONES_")}
    environment.update(
        DBT_TARGET_PATH=str(tmp_path / "target"),
        DBT_LOG_PATH=str(tmp_path / "logs"),
        MILESTONES_DUCKDB_PATH=str(tmp_path / "warehouse.duckdb"),
        MILESTONES_REPORTS_DIR=str(tmp_path / "reports"),
        MILESTONES_LANDING_DIR=str(tmp_path / "landing"),
        MILESTONES_TARGET="duckdb",
    )
    return environment


def _run(arguments: list[str], environment: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_milestones(), *arguments], env=environment, cwd=cwd, capture_output=True, text=True, check=False
    )


def _message(completed: subprocess.CompletedProcess[str]) -> list[str]:
    lines = completed.stderr.rstrip("\n").splitlines()
    assert 1 <= len(lines) <= MAX_MESSAGE_LINES, f"not a short message:\n{completed.stderr}"
    assert "Traceback" not in completed.stderr + completed.stdout
    return lines


@pytest.mark.parametrize(
    "arguments",
    [
        ["build", "--as-of", "2026-13-01"],
        ["build", "--no-such-option"],
        ["load"],
        ["generate", "--accounts", "5", "--days", "10", "--seed", "1", "--out", "x", "--dirty-rate", "1.5"],
        ["nosuch"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    arguments: list[str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    completed = _run(arguments, cli_env, tmp_path)
    assert completed.returncode == 2
    (line,) = _message(completed)
    assert line.startswith("milestones")


@pytest.mark.parametrize("command", ["build", "load", "report", "export"])
def test_unknown_target_exits_2_with_one_line(command: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    arguments = [command, str(tmp_path)] if command == "load" else [command]
    completed = _run([*arguments, "--target", "nosuch"], cli_env, tmp_path)
    assert completed.returncode == 2
    (line,) = _message(completed)
    assert "nosuch" in line


@pytest.mark.parametrize("command", ["build", "report"])
def test_unknown_target_from_the_environment_exits_2(
    command: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    completed = _run([command], {**cli_env, "MILESTONES_TARGET": "nosuch"}, tmp_path)
    assert completed.returncode == 2
    (line,) = _message(completed)
    assert "unknown target 'nosuch'" in line


@pytest.fixture
def locked_warehouse(cli_env: dict[str, str]) -> Iterator[tuple[Path, int]]:
    """The warehouse file, held open for writing by a child process (DuckDB: one writer at a time)."""
    database = Path(cli_env["MILESTONES_DUCKDB_PATH"])
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield database, holder.pid
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("command", ["build", "load", "report", "export", "demo"])
def test_locked_warehouse_names_the_file_and_the_process(
    command: str, locked_warehouse: tuple[Path, int], cli_env: dict[str, str], tmp_path: Path
) -> None:
    database, pid = locked_warehouse
    landing = Path(cli_env["MILESTONES_LANDING_DIR"])
    landing.mkdir()
    (landing / "accounts.csv").write_text("account_id,account_name,segment,signup_at,arr,crm_id,owner\n")
    arguments = [command, str(landing)] if command == "load" else [command]
    completed = _run(arguments, cli_env, tmp_path)
    assert completed.returncode == 1
    last = _message(completed)[-1]
    assert f"the warehouse {database} is locked: held by process {pid}" in last
    if Path(f"/proc/{pid}/cmdline").exists():
        assert "duckdb.connect" in last  # the holder's command line


def _copy_dbt_project(destination: Path) -> Path:
    for part in DBT_PROJECT_PARTS:
        source = paths.PROJECT_DIR / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            (destination / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination / part)
    return destination


def test_bad_seed_row_ends_the_message_with_the_row(cli_env: dict[str, str], tmp_path: Path) -> None:
    """A criterion naming an event the tracking plan lacks: the seed validation's sentence, naming the
    row, ends the message; the message names the failed test and dbt's log file."""
    project = _copy_dbt_project(tmp_path / "project")
    criteria = project / "seeds" / "milestone_criteria.csv"
    text = criteria.read_text()
    good_row = "trial,t_second_teammate,c1,user_invited,"
    assert good_row in text
    criteria.write_text(text.replace(good_row, "trial,t_second_teammate,c1,user_invitedd,"))
    environment = {
        **cli_env,
        "MILESTONES_PROJECT_DIR": str(project),
        # the seeds and the tests of seeds alone (not the tests that also read models): a fast build
        "DBT_INDIRECT_SELECTION": "cautious",
    }
    completed = _run(["build", "--select", "resource_type:seed"], environment, tmp_path)
    assert completed.returncode == 1
    message = _message(completed)
    assert "1 test failed" in message[0]
    log_path = Path(cli_env["DBT_LOG_PATH"]) / "dbt.log"
    assert any(str(log_path) in line for line in message) and log_path.exists()
    assert any("on seed milestone_criteria" in line for line in message)
    assert "user_invitedd" in message[-1] and "t_second_teammate" in message[-1]
    assert "START seed file" in completed.stdout  # dbt's progress was shown


def test_dbt_stopping_on_a_locked_file_names_the_holder() -> None:
    """When dbt itself meets the lock (the file was free when the build started), the summary still
    names the file and the process instead of dbt's traceback."""
    from milestones.build.dbt import DbtOutcome, FailedNode
    from milestones.build.run import failure_summary

    error = (
        'IO Error: Could not set lock on file "/data/warehouse.duckdb": Conflicting lock is held in '
        f"/usr/bin/python3 (PID {os.getpid()}). See also https://duckdb.org/docs/current/connect/concurrency"
    )
    outcome = DbtOutcome(
        success=False,
        failed=[FailedNode("dbt", "invocation", "error", error)],
        log_path=Path("/logs/dbt.log"),
    )
    headline, log_line = failure_summary(outcome, target=None)
    assert headline.startswith(
        "milestones build: dbt stopped: the warehouse /data/warehouse.duckdb is locked"
    )
    assert f"held by process {os.getpid()} (" in headline
    assert log_line.strip() == "full dbt log: /logs/dbt.log"


def _event(name: str, message: str, level: str = "info", **data: str) -> str:
    info = {"name": name, "level": level, "msg": message, "ts": "2026-09-30T10:11:12.000000Z"}
    return json.dumps({"info": info, "data": data}) + "\n"


def test_progress_shows_dbt_lines_but_not_its_failure_report(capsys: pytest.CaptureFixture[str]) -> None:
    from milestones.build.dbt import _ProgressStream

    stream = _ProgressStream()
    for line in [
        _event("LogTestResult", "1 of 2 FAIL 2 criteria_are_well_formed [FAIL 2 in 0.31s]", level="error"),
        _event("EndOfRunSummary", "Completed with 1 error:"),
        _event("Formatting", ""),
        _event("RunResultFailure", "Failure in test criteria_are_well_formed (seeds/x.yml)", level="error"),
        _event("RunResultError", "  Got 2 results, configured to fail if != 0", level="error"),
        _event("Formatting", ""),
        _event("SQLCompiledPath", "  compiled code at target/compiled/x.sql"),
        _event("StatsLine", "Done. PASS=1 ERROR=1"),
        _event(
            "MainEncounteredError", "Encountered an error:\nboom", level="error", exc="Runtime Error\n  boom"
        ),
        _event("MainStackTrace", "Traceback (most recent call last):", level="error"),
        "a line that is not dbt's JSON log\n",
    ]:
        stream.feed(line)
    shown = capsys.readouterr().out
    assert "10:11:12  1 of 2 FAIL 2 criteria_are_well_formed" in shown
    assert "Done. PASS=1 ERROR=1" in shown
    for hidden in ("Failure in test", "Got 2 results", "compiled code", "Traceback", "not dbt's JSON"):
        assert hidden not in shown
    assert stream.fatal_error(2) == "Runtime Error\n  boom"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Runtime Error in test t (models/x.yml)\n  Catalog Error: Table x does not exist!\n  LINE 1",
            "Catalog Error: Table x does not exist!",
        ),
        (
            "Compilation Error in model m (models/m.sql)\n  'x' is undefined",
            "Compilation Error: 'x' is undefined",
        ),
        ("Got 3 results, configured to fail if != 0", "Got 3 results, configured to fail if != 0"),
    ],
)
def test_first_meaningful_line(message: str, expected: str) -> None:
    from milestones.build.dbt import first_meaningful_line

    assert first_meaningful_line(message) == expected
