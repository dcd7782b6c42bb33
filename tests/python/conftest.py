"""Shared fixtures: one generated landing folder and one DuckDB warehouse built from it per session.

Builds write their dbt artifacts to a temporary target directory so a test run never disturbs the
project's own target/ (or a developer's concurrent `dbt` run).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

import services

SAMPLE_END = date(2026, 9, 30)
# How a skip for a service missing here begins; said once, loudly, at the end of the run.
NOT_RUN = ("PostgreSQL tests not run", "report rendering tests not run")


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of a block (session fixtures cannot monkeypatch)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def sample_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from milestones.sample import generate

    out = tmp_path_factory.mktemp("landing")
    generate(accounts=150, days=180, seed=11, out=out, dirty_rate=0.02, end_date=SAMPLE_END, progress=False)
    return out


@pytest.fixture(scope="session")
def dbt_artifacts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    artifacts = tmp_path_factory.mktemp("dbt")
    with environment(
        DBT_TARGET_PATH=str(artifacts / "target"),
        DBT_LOG_PATH=str(artifacts / "logs"),
        # Data Docs, reports and exports of test builds stay out of the checkout
        MILESTONES_REPORTS_DIR=str(artifacts / "reports"),
    ):
        yield artifacts


@pytest.fixture(scope="session")
def built_duckdb(
    sample_landing: Path, dbt_artifacts: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The sample landing folder loaded and built on DuckDB, as of the sample's last day."""
    from milestones.build import run_build
    from milestones.load import load_directory

    database = tmp_path_factory.mktemp("warehouse") / "milestones.duckdb"
    with environment(MILESTONES_DUCKDB_PATH=str(database), MILESTONES_TARGET="duckdb"):
        load_directory(sample_landing)
        assert run_build(as_of=SAMPLE_END) == 0, "dbt build failed on the sample data"
        yield database


@pytest.fixture(scope="session")
def postgres() -> Iterator[services.Postgres]:
    """A PostgreSQL server for the session: the configured one, or a throwaway one (services.py).
    Its connection settings are in the environment the dbt profile and the loader read."""
    server = services.find_postgres()
    if server is None:
        message = (
            f"PostgreSQL tests not run: no server answers and none could be started; {services.POSTGRES_HINT}"
        )
        if services.ON_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        with environment(**server.environment()):
            yield server
    finally:
        if server.stop:
            server.stop()


@pytest.fixture(scope="session")
def chromium() -> str:
    """The headless Chromium that renders the report; skipped with one line where there is none."""
    found = services.chromium()
    if found is None:
        message = f"report rendering tests not run: no Chromium; {services.CHROMIUM_HINT}"
        if services.ON_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Read from the skip reports rather than kept in a variable: with pytest-xdist the skips
    # happen in worker processes, and only their reports reach this one.
    messages = []
    for report in terminalreporter.stats.get("skipped", []):
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
        message = reason.removeprefix("Skipped: ")
        if message.startswith(NOT_RUN) and message not in messages:
            messages.append(message)
    for message in messages:
        terminalreporter.write_line(f"!!! {message}", red=True, bold=True)
