"""Runs dbt against this project, in a child process, with the environment the profile expects.

A child process rather than dbt's in-process runner: dbt-duckdb keeps its database handle open for
the life of the process, and the steps after a build (printing failing rows, the summary, the
validations, publishing) must open the same file themselves.

dbt logs JSON to the pipe and its usual debug log to `<log dir>/dbt.log`. The progress lines are
shown as dbt would show them; dbt's closing list of failures, its fatal error and any traceback are
kept out of the screen (they are in the log file) so the caller can end with a short summary. On a
terminal a bar of the nodes done (milestones.progress) stands for dbt's line per node started or
passed; warnings, failures and dbt's other lines still show, above the bar.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from milestones import paths
from milestones.progress import Bar, progress
from milestones.warehouse import DBT_MEMORY_LIMIT_ENV, DBT_MEMORY_SHARE, duckdb_config

FAILED_STATUSES = {"error", "fail", "runtime error"}
# dbt's debug log is rotated at dbt's own default size, keeping as many old files as dbt does
LOG_MAX_BYTES = 10 * 1024 * 1024
LOG_BACKUPS = 5

# dbt's closing report of each failure (the caller summarizes failures itself) and its fatal error
FAILURE_DETAIL_EVENTS = {
    "RunResultError",
    "RunResultErrorNoMessage",
    "SQLCompiledPath",
    "CheckNodeTestFailure",
}
FATAL_EVENTS = {"MainEncounteredError", "MainStackTrace"}
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# the first line of a dbt error that only names its kind and node: "Runtime Error in test x (path)"
# a node's line: "12 of 353 START sql table model main_marts.fct_events ..... [RUN]", "12 of 353 OK ..."
NODE_LINE = re.compile(r"^(?P<index>\d+) of (?P<total>\d+) (?P<status>\S+) (?P<rest>.*)$")
HOOK_EVENTS = {"LogHookStartLine", "LogHookEndLine"}  # "1 of 1 START hook": not one of the nodes
ERROR_HEADER = re.compile(r"^(?P<kind>[A-Z][\w ]*Error)(?: in .*)?$")


@dataclass(frozen=True)
class FailedNode:
    unique_id: str
    resource_type: str
    status: str
    message: str
    failures_relation: str | None = None
    failures: int | None = None


@dataclass
class DbtOutcome:
    success: bool
    failed: list[FailedNode] = field(default_factory=list)
    run_results_path: Path | None = None
    log_path: Path | None = None
    skipped: int = 0


def profiles_dir() -> Path:
    """DBT_PROFILES_DIR if set; else the project's profiles.yml, made from the example if missing."""
    configured = os.environ.get("DBT_PROFILES_DIR")
    if configured:
        return Path(configured)
    profile = paths.PROJECT_DIR / "profiles.yml"
    if not profile.exists():
        shutil.copyfile(paths.PROJECT_DIR / "profiles.example.yml", profile)
    return paths.PROJECT_DIR


def target_dir() -> Path:
    configured = os.environ.get("DBT_TARGET_PATH")
    return Path(configured) if configured else paths.PROJECT_DIR / "target"


def log_dir() -> Path:
    """dbt's log folder, as dbt picks it: DBT_LOG_PATH, else logs/ under the project."""
    configured = os.environ.get("DBT_LOG_PATH")
    return (Path(configured) if configured else paths.PROJECT_DIR / "logs").resolve()


SPARK_CONF_DIR = Path(__file__).with_name("spark_conf")


def prepare_environment() -> None:
    """Pin the DuckDB file, its spill folder and the Spark folder to absolute paths (dbt resolves them
    from its cwd), give dbt's DuckDB its share of the memory limit, and quiet the local Spark session's
    console."""
    database = paths.duckdb_path()
    database.parent.mkdir(parents=True, exist_ok=True)
    os.environ["MILESTONES_DUCKDB_PATH"] = str(database)
    spill = Path(os.environ.get("MILESTONES_DUCKDB_TEMP_DIRECTORY", database.parent / ".tmp")).resolve()
    spill.mkdir(parents=True, exist_ok=True)
    os.environ["MILESTONES_DUCKDB_TEMP_DIRECTORY"] = str(spill)
    os.environ["MILESTONES_SPARK_DIR"] = str(paths.spark_dir())
    # set on every call: the limit it is a share of may have changed since the last
    os.environ[DBT_MEMORY_LIMIT_ENV] = duckdb_config(DBT_MEMORY_SHARE)["memory_limit"]
    # the local Spark session's log at errors only, and no progress bar (spark_conf/), unless the
    # user has a Spark conf folder
    os.environ.setdefault("SPARK_CONF_DIR", str(SPARK_CONF_DIR))


# dbt unit tests prove the models' logic on fixed rows: they run in `make test`
# (tests/python/build/test_dbt_unit_tests.py), not in every production build, where they would cost
# as much as the data tests and check nothing about the day's data
UNIT_TEST_EXCLUSION = ("--exclude", "resource_type:unit_test")


# "Today" reaches dbt as an environment variable, not a dbt var: dbt parses the whole project again
# whenever a var changes, and the as-of date changes every day. macros/cross_db/timestamps.sql reads it
# only when executing, so dbt's partial parse never depends on it.
AS_OF_ENV = "MILESTONES_AS_OF_DATE"
# read by the dbt macro tested_since_load_id() when it executes, like the as-of date
TESTED_SINCE_ENV = "MILESTONES_TESTED_SINCE_LOAD_ID"


def as_of_environment(as_of: date | None) -> dict[str, str]:
    """The environment a dbt invocation needs for `as_of` (none: dbt takes the current UTC date)."""
    return {AS_OF_ENV: as_of.isoformat()} if as_of else {}


def tested_since_environment(load_id: int | None) -> dict[str, str]:
    """The environment that lets the data tests over the event tables check only the rows written after
    `load_id` (macros/generic_tests/unique_in_new_rows.sql); empty, so never inherited: every row."""
    return {TESTED_SINCE_ENV: "" if load_id is None else str(load_id)}


def run_dbt(
    command: Sequence[str],
    *,
    target: str | None = None,
    as_of: date | None = None,
    variables: dict[str, object] | None = None,
    quiet: bool = False,
    tested_since_load_id: int | None = None,
) -> DbtOutcome:
    """Invoke dbt (e.g. ["build", "--full-refresh"]) as of a day; its progress goes to this process's
    stdout, or with `quiet` nowhere (a check before the build: dbt's log file still has it all).
    `tested_since_load_id`: the event tables' data tests check only the rows written after that load."""
    prepare_environment()
    logs = log_dir()
    rotate_log(logs / "dbt.log")
    args = [*command, "--project-dir", str(paths.PROJECT_DIR), "--profiles-dir", str(profiles_dir())]
    args += ["--log-path", str(logs), "--log-format", "json", "--log-format-file", "debug"]
    args += ["--log-file-max-bytes", "0"]  # rotate_log() does dbt's rotation, once per invocation
    if quiet:  # dbt still sends its errors: the fatal one is kept for the outcome
        args += ["--quiet", "--no-use-colors"]
    else:
        args.append("--use-colors" if sys.stdout.isatty() else "--no-use-colors")
    if target:
        args += ["--target", target]
    if variables:
        args += ["--vars", json.dumps(variables)]
    results_path = target_dir() / "run_results.json"
    results_path.unlink(missing_ok=True)
    # off a terminal dbt's own lines are the progress: no other lines besides them
    with progress(f"dbt {command[0]}", unit="nodes", enabled=not quiet, plain=False) as bar:
        stream = _ProgressStream(bar, shown=not quiet)
        environment = {**as_of_environment(as_of), **tested_since_environment(tested_since_load_id)}
        returncode = _stream_child([_dbt_executable(), *args], stream, environment)
    log_path = logs / "dbt.log"
    stream.append_unlogged_output(log_path)
    failed = read_failures(results_path)
    if returncode != 0 and not failed:
        failed.append(FailedNode("dbt", "invocation", "error", stream.fatal_error(returncode)))
    return DbtOutcome(
        success=returncode == 0,
        failed=failed,
        run_results_path=results_path,
        log_path=log_path,
        skipped=count_skipped(results_path),
    )


def rotate_log(log_path: Path, max_bytes: int = LOG_MAX_BYTES, backups: int = LOG_BACKUPS) -> None:
    """Rotate dbt's debug log before an invocation, as dbt would while writing it: dbt.log moves to
    dbt.log.1 (.1 to .2, ...; the oldest is dropped) once it holds `max_bytes`. dbt's own rotation checks
    the file's size on each of its thousands of debug lines, about a tenth of a daily build's dbt time;
    so dbt writes with rotation off and an invocation's lines stay in one file."""
    if not log_path.exists() or log_path.stat().st_size < max_bytes:
        return
    for number in range(backups - 1, 0, -1):
        older = log_path.with_name(f"{log_path.name}.{number}")
        if older.exists():
            older.replace(log_path.with_name(f"{log_path.name}.{number + 1}"))
    log_path.replace(log_path.with_name(f"{log_path.name}.1"))


def _stream_child(command: list[str], stream: _ProgressStream, environment: dict[str, str]) -> int:
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env={**os.environ, **environment},
    )
    assert process.stdout is not None
    try:
        for line in process.stdout:
            stream.feed(line)
    except KeyboardInterrupt:  # dbt got the same interrupt: let it stop, then stop too
        process.wait()
        raise
    return process.wait()


class _ProgressStream:
    """Shows dbt's JSON log lines as dbt's own text lines, and keeps what the summary needs."""

    def __init__(self, bar: Bar | None = None, shown: bool = True) -> None:
        self.fatal: str | None = None
        self._shown = shown  # False: dbt's lines are only kept, for the summary and the log file
        self.unlogged: list[str] = []
        self._in_failure_detail = False
        self._last_blank = True
        self._colors = sys.stdout.isatty()
        self._bar = bar
        # the bar stands for the node lines only on the screen it is drawn on (not in a file or a pipe)
        self._bar_replaces_lines = bar is not None and bar.live and sys.stdout.isatty()

    def feed(self, line: str) -> None:
        try:
            event = json.loads(line)
            info = event["info"]
        except (ValueError, KeyError, TypeError):
            self.unlogged.append(line)  # not dbt's logger (a crash, a warning): kept for the log file
            return
        name = info.get("name", "")
        if name == "MainEncounteredError":
            self.fatal = event.get("data", {}).get("exc") or info.get("msg", "")
        if name in FATAL_EVENTS or self._is_failure_detail(name):
            return
        if self._on_bar(name, info.get("level", ""), info.get("msg", "")):
            return
        self._show(info.get("ts", ""), info.get("msg", ""))

    def _on_bar(self, name: str, level: str, message: str) -> bool:
        """Moves the bar on a node's line; True when the bar stands for the line (an info line of a
        node started or done: warnings and failures are still shown)."""
        node = NODE_LINE.match(ANSI_ESCAPE.sub("", message)) if self._bar is not None else None
        if node is None or self._bar is None:
            return False
        if name not in HOOK_EVENTS:
            total = int(node["total"])
            if node["status"] == "START":
                self._bar.update(total=total, detail=_node_name(node["rest"]))
            else:
                self._bar.update(total=total, completed=self._bar.completed + 1)
        return self._bar_replaces_lines and level in {"info", "debug"}

    def _is_failure_detail(self, name: str) -> bool:
        if name == "RunResultFailure":
            self._in_failure_detail = True
        elif name not in FAILURE_DETAIL_EVENTS and name != "Formatting":
            self._in_failure_detail = False
        return self._in_failure_detail

    def _show(self, timestamp: str, message: str) -> None:
        if not self._shown:
            return
        if not self._colors:
            message = ANSI_ESCAPE.sub("", message)
        blank = not message.strip()
        if blank and self._last_blank:
            return
        self._last_blank = blank
        clock = timestamp[11:19]
        line = f"{clock}  {message}" if clock else message
        if self._bar_replaces_lines and self._bar is not None:
            self._bar.log(line)  # above the bar, wrapped by the terminal (copied lines stay whole)
            return
        sys.stdout.write(f"{line}\n")
        sys.stdout.flush()

    def fatal_error(self, returncode: int) -> str:
        """dbt's own error when it stopped outside any node (a locked file, a compilation error)."""
        if self.fatal:
            return self.fatal.strip()
        lines = [line.strip() for line in self.unlogged if line.strip()]
        return lines[-1] if lines else f"dbt exited with {returncode}"

    def append_unlogged_output(self, log_path: Path) -> None:
        """What dbt printed outside its logger goes to the end of its log file, so the file has it all."""
        if not any(line.strip() for line in self.unlogged):
            return
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("a") as log:
            log.write("\n-- dbt's output outside its logger (stdout and stderr):\n")
            log.writelines(self.unlogged)


def _node_name(started: str) -> str:
    """The node of a START line's text: "sql table model main_marts.fct_events ..... [RUN]" gives
    "main_marts.fct_events"."""
    words = [word for word in started.split() if word.strip(".") and not word.startswith("[")]
    return words[-1] if words else ""


def _dbt_executable() -> str:
    """The dbt of this virtualenv, beside its python (not whatever dbt comes first on PATH)."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def _results(results_path: Path) -> list[dict[str, Any]]:
    if not results_path.exists():
        return []
    return json.loads(results_path.read_text()).get("results", [])


def read_failures(results_path: Path) -> list[FailedNode]:
    """The nodes that errored or failed, from dbt's run_results.json (absent when dbt did not run)."""
    return [failed_node(result) for result in _results(results_path) if result["status"] in FAILED_STATUSES]


def failed_node(result: dict[str, Any], status: str | None = None) -> FailedNode:
    """A run_results.json result as a FailedNode (`status` overrides dbt's, e.g. a warning read as a
    failure: the rows it stored are read the same way)."""
    return FailedNode(
        unique_id=result["unique_id"],
        resource_type=result["unique_id"].split(".", 1)[0],
        status=status or result["status"],
        message=(result.get("message") or "").strip(),
        failures_relation=result.get("relation_name"),
        failures=result.get("failures"),
    )


def count_skipped(results_path: Path) -> int:
    return sum(1 for result in _results(results_path) if result["status"] == "skipped")


def first_meaningful_line(message: str, keep_header: bool = False) -> str:
    """The line of a dbt error message that says what went wrong.

    "Runtime Error in test x (path)\\n  Catalog Error: Table ... does not exist!" gives the second line;
    with keep_header (no node is named elsewhere) "Runtime Error in test x (path): Catalog Error: ...".
    """
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return ""
    header = ERROR_HEADER.match(lines[0])
    if not header or len(lines) == 1:
        return lines[0]
    if keep_header:
        return f"{lines[0]}: {lines[1]}"
    return lines[1] if re.match(r"^[\w ]*Error:", lines[1]) else f"{header['kind']}: {lines[1]}"


def node_labels(unique_ids: Sequence[str]) -> dict[str, str]:
    """Readable names of nodes from dbt's manifest: 'test criteria_are_well_formed on seed
    milestone_criteria (seeds/_seeds__models.yml)'; a node the manifest lacks keeps its unique id."""
    manifest = read_manifest()
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    return {unique_id: _label(unique_id, nodes.get(unique_id)) for unique_id in unique_ids}


def names_selecting_one_node(manifest: dict[str, Any]) -> set[str]:
    """The node names by which `--exclude NAME` picks that node alone: dbt selects every node of a
    name, and every node of a package by the package's name."""
    nodes: dict[str, dict[str, Any]] = manifest.get("nodes", {})
    shared = Counter(node.get("name", "") for node in nodes.values())
    shared.update({node["fqn"][0]: 2 for node in nodes.values() if node.get("fqn")})
    return {name for name, count in shared.items() if count == 1}


def read_manifest() -> dict[str, Any]:
    """dbt's manifest.json of the last invocation (empty when dbt wrote none)."""
    try:
        return json.loads((target_dir() / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}


def _label(unique_id: str, node: dict[str, Any] | None) -> str:
    if not node:
        return unique_id
    resource_type = node.get("resource_type", unique_id.split(".", 1)[0])
    where = f" ({node['original_file_path']})" if node.get("original_file_path") else ""
    if resource_type == "unit_test":
        return f"unit test {node.get('name')} of model {node.get('model')}{where}"
    test_name = (node.get("test_metadata") or {}).get("name")
    attached = node.get("attached_node")
    if resource_type == "test" and test_name and attached:
        attached_type, *_, attached_name = attached.split(".")
        column = f" of column {node['column_name']}" if node.get("column_name") else ""
        return f"test {test_name}{column} on {attached_type} {attached_name}{where}"
    return f"{resource_type} {node.get('name', unique_id)}{where}"
