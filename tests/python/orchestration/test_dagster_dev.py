"""`make dev` (orchestration/dev.py) against an already-built warehouse: the first sensor tick sees
that every landing file is loaded and requests no run; SIGTERM stops every Dagster process and
leaves no temporary Dagster home in the project."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from milestones import paths

STARTUP_SECONDS = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def _serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_dev_starts_nothing_and_stops_cleanly(
    built_duckdb: Path, sample_landing: Path, dbt_artifacts: Path, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_duckdb, warehouse)
    home = tmp_path / "dagster_home"
    log = tmp_path / "dev.log"
    port = _free_port()
    environment = {
        **os.environ,
        "MILESTONES_DAGSTER_HOME": str(home),
        "MILESTONES_LANDING_DIR": str(sample_landing),
        "MILESTONES_LANDING_SETTLE_SECONDS": "0",
        "MILESTONES_DUCKDB_PATH": str(warehouse),
        "MILESTONES_TARGET": "duckdb",
    }
    before = set(paths.PROJECT_DIR.glob(".tmp_dagster_home_*"))
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.dev", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(lambda: _serving(port), STARTUP_SECONDS, "the Dagster UI")
        _wait_for(lambda: _first_tick(log) is not None, STARTUP_SECONDS, "the landing sensor's first tick")
        assert "skipped: no new landing files" in _first_tick(log), log.read_text()[-2000:]
        import dagster as dg

        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert instance.get_runs() == [], "starting Dagster launched a run"
    finally:
        dagster_group = _dagster_group(process.pid)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert process.returncode == 0
    assert dagster_group is not None
    _wait_for(lambda: not _group_alive(dagster_group), 10, "every Dagster process to end")
    assert set(paths.PROJECT_DIR.glob(".tmp_dagster_home_*")) == before, "a temporary Dagster home was left"
    assert (home / "dagster.yaml").exists(), "the persistent home holds the project's instance settings"


def _first_tick(log: Path) -> str | None:
    """The daemon's line about the sensor's first evaluation (skipped, or the runs it requested)."""
    for line in log.read_text().splitlines():
        if "landing_folder_sensor" in line and "Checking for new runs" not in line:
            return line
    return None


def _dagster_group(launcher: int) -> int | None:
    """The process group of `dagster dev`: the launcher's child, leader of a session of its own."""
    listing = subprocess.run(["ps", "-eo", "pid=,ppid=,pgid="], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        pid, ppid, pgid = (int(part) for part in line.split())
        if ppid == launcher and pid == pgid:
            return pgid
    return None
