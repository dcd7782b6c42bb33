"""`milestones report`: one self-contained HTML file, rendered in headless Chromium (Debian's `chromium`
package, required: `make test` installs it) and checked for what a CS leader should find on it."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from html import unescape
from pathlib import Path

import pytest

from delivery_helpers import copy_warehouse, execute, query
from milestones.delivery.report import write_report

SECTION_TITLES = [
    "Milestone funnel",
    "Time to milestone",
    "Stalled accounts",
    "Health bands",
    "Health-score backtest",
    "Milestone candidates",
]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("headless Chromium is required for the report tests: apt-get install chromium")
    return found


def _chromium_run(*arguments: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                *arguments,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )


def rendered_dom(page: Path) -> str:
    return _chromium_run("--dump-dom", page.as_uri()).stdout


def screenshot(page: Path, picture: Path) -> Path:
    _chromium_run(f"--screenshot={picture}", "--window-size=1400,3000", page.as_uri())
    return picture


def _visible_text(dom: str) -> str:
    without_styles = re.sub(r"<style.*?</style>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", without_styles)))


def test_the_report_renders_in_chromium_with_every_section(
    built_duckdb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(built_duckdb))
    page = write_report(out=tmp_path)

    assert page == tmp_path / "milestone_report.html"
    html = page.read_text(encoding="utf-8")
    # self-contained: no script, no stylesheet or image fetched from anywhere
    assert "<script" not in html and "<link" not in html and "<img" not in html
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)

    dom = rendered_dom(page)
    text = _visible_text(dom)
    headings = re.findall(r"<h2>(.*?)</h2>", dom)
    assert headings == SECTION_TITLES
    assert "Not built" not in text
    assert dom.count("<svg") >= 10
    (as_of,) = query(built_duckdb, "select max(as_of_date) from main_marts.dim_account_milestone_status")[0]
    assert f"As of {as_of.isoformat()}" in text
    for segment in query(
        built_duckdb, "select distinct segment from main_marts.mart_segment_milestone_baselines"
    ):
        assert segment[0].title() in text
    # the most urgent stalled account and its playbook are on the page
    name, playbook = query(
        built_duckdb,
        "select account_name, playbook from main_marts.mart_intervention_queue where priority_rank = 1",
    )[0]
    assert name in text and playbook in text
    assert "AUC" in text

    picture = screenshot(page, tmp_path / "report.png")
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert picture.stat().st_size > 50_000  # a rendered page, not a blank one


def test_sections_whose_marts_are_missing_say_not_built(
    built_duckdb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = copy_warehouse(built_duckdb, tmp_path / "warehouse")
    execute(
        database,
        "drop table main_marts.mart_health_score_backtest",
        "drop table main_marts.mart_milestone_candidates",
    )
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))

    text = _visible_text(rendered_dom(write_report(out=tmp_path / "partial.html")))

    assert "Not built: mart_health_score_backtest" in text
    assert "Not built: mart_milestone_candidates" in text
    assert text.count("Not built") == 2
    assert "Milestone funnel" in text and "Stalled accounts" in text
