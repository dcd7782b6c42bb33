"""`milestones report`: one self-contained HTML file, rendered in headless Chromium (the session fixture
`chromium`: skipped with one loud line where it is missing, a failure on CI) and checked for what a CS
leader should find on it. Expected figures are computed here from the marts, not taken from the report."""

from __future__ import annotations

import re
import subprocess
import tempfile
from datetime import date
from html import unescape
from pathlib import Path

import pytest

from delivery_helpers import copy_warehouse, execute, query
from milestones.delivery.report import write_report
from milestones.delivery.report.data import ReportData
from milestones.delivery.report.page import render

SECTION_TITLES = [
    "Milestone funnel",
    "Time to milestone",
    "Stalled accounts",
    "Health bands",
    "Over time",
    "Onboarding cohorts",
    "Retention by milestone depth",
    "Retention by milestone velocity",
    "Experiments",
    "Health-score backtest",
    "Milestone candidates",
    "Event contract",
]
MARTS = "main_marts"
HISTORY = f"{MARTS}.fct_account_status_history"


def _chromium_run(chromium: str, *arguments: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                chromium,
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


def rendered_dom(chromium: str, page: Path) -> str:
    return _chromium_run(chromium, "--dump-dom", page.as_uri()).stdout


def screenshot(chromium: str, page: Path, picture: Path) -> Path:
    _chromium_run(chromium, f"--screenshot={picture}", "--window-size=1400,3000", page.as_uri())
    return picture


def _visible_text(dom: str) -> str:
    without_styles = re.sub(r"<style.*?</style>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", without_styles))).strip()


def _section(dom: str, key: str) -> str:
    """The visible text of one section (by its id)."""
    found = re.search(rf'<section id="{key}">(.*?)</section>', dom, flags=re.S)
    assert found, f"no section {key}"
    return _visible_text(found.group(1))


def _kpis(dom: str) -> dict[str, tuple[str, str]]:
    """Headline cards: label -> (value, sub line)."""
    cards = re.findall(
        r'<div class="kpi[^"]*"><div class="label">(.*?)</div>\s*'
        r'<div class="value">(.*?)</div><div class="sub">(.*?)</div>',
        dom,
        flags=re.S,
    )
    return {unescape(label): (unescape(value), unescape(sub)) for label, value, sub in cards}


def _drop(database: Path, name: str) -> None:
    """Drop a mart, whether it is built as a table or a view."""
    kinds = query(
        database,
        "select table_type from information_schema.tables where table_schema = ? and table_name = ?",
        [MARTS, name],
    )
    if kinds:
        execute(database, f"drop {'view' if kinds[0][0] == 'VIEW' else 'table'} {MARTS}.{name}")


def _money(amount: float) -> str:
    """The report's money format, restated: $1.2M, $45k, $4.5k, $950."""
    if amount >= 1_000_000:
        return f"${amount / 1_000_000:.1f}M"
    if amount >= 10_000:
        return f"${amount / 1_000:.0f}k"
    if amount >= 1_000:
        return f"${amount / 1_000:.1f}k"
    return f"${amount:,.0f}"


@pytest.fixture(scope="module")
def report(built_duckdb: Path, tmp_path_factory: pytest.TempPathFactory, chromium: str) -> dict:
    """The report of the session's warehouse, written once and rendered once in Chromium."""
    out = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MILESTONES_DUCKDB_PATH", str(built_duckdb))
        page = write_report(out=out)
    dom = rendered_dom(chromium, page)
    return {"page": page, "html": page.read_text(encoding="utf-8"), "dom": dom, "text": _visible_text(dom)}


def test_the_report_renders_in_chromium_with_every_section(
    report: dict, built_duckdb: Path, chromium: str
) -> None:
    page, html, dom, text = report["page"], report["html"], report["dom"], report["text"]
    assert page.name == "milestone_report.html"
    # self-contained: no script, no stylesheet or image fetched from anywhere
    assert "<script" not in html and "<link" not in html and "<img" not in html
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)

    headings = re.findall(r"<h2>(.*?)</h2>", dom)
    assert headings == SECTION_TITLES
    assert "Not built" not in text
    assert dom.count("<svg") >= 16
    (as_of,) = query(built_duckdb, f"select max(as_of_date) from {MARTS}.dim_account_milestone_status")[0]
    assert f"As of {as_of.isoformat()}" in text
    for (segment,) in query(
        built_duckdb, f"select distinct segment from {MARTS}.mart_segment_milestone_baselines"
    ):
        assert segment.title() in text
    assert "AUC" in text

    picture = screenshot(chromium, page, page.with_name("report.png"))
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert picture.stat().st_size > 50_000  # a rendered page, not a blank one


def test_the_header_names_no_local_path(report: dict, built_duckdb: Path) -> None:
    header = re.search(r"<header>(.*?)</header>", report["dom"], flags=re.S).group(1)
    assert "DuckDB warehouse" in _visible_text(header)
    assert "/" not in _visible_text(header).replace("As of", "")
    assert str(built_duckdb.parent) not in report["html"]


def test_headline_figures_count_live_customers_and_name_the_denominator(
    report: dict, built_duckdb: Path
) -> None:
    live, churned, stalled, at_risk, arr, churned_arr = query(
        built_duckdb,
        "select count(*) filter (where not is_churned), count(*) filter (where is_churned),"
        " count(*) filter (where not is_churned and is_stalled),"
        " count(*) filter (where not is_churned and health_band in ('critical', 'at_risk')),"
        " coalesce(sum(arr) filter (where not is_churned), 0),"
        " coalesce(sum(arr) filter (where is_churned), 0)"
        f" from {MARTS}.dim_account_milestone_status",
    )[0]
    assert churned > 0, "the sample must have churned accounts for this test to mean anything"
    (queued,) = query(built_duckdb, f"select count(*) from {MARTS}.mart_intervention_queue")[0]
    assert queued == stalled  # the queue leaves churned accounts out, like the headline
    of_live = f"of {live:,} live customers"
    cards = _kpis(report["dom"])

    assert cards["Live customers"][0] == f"{live:,}"
    assert cards["Live customers"][1].startswith(f"of {live + churned:,} accounts")
    assert cards["Churned"][0] == f"{churned:,}"
    assert _money(float(churned_arr)) in cards["Churned"][1]
    assert cards["Stalled"][0] == f"{stalled:,}"
    assert cards["Stalled"][1].startswith(f"{of_live} ({stalled / live:.0%})")
    assert cards["Critical or at risk"][0] == f"{at_risk:,}"
    assert cards["Critical or at risk"][1].startswith(of_live)
    assert cards["ARR"][0] == _money(float(arr))
    assert cards["ARR"][1].endswith(of_live)
    assert cards["Milestones completed"][1].endswith(of_live)
    health = _section(report["dom"], "health")
    assert f"{at_risk:,} of {live:,} live customers" in health


def test_stalled_accounts_are_grouped_with_each_playbook_once(report: dict, built_duckdb: Path) -> None:
    groups = query(
        built_duckdb,
        "select milestone_name, playbook, count(*), arg_min(account_name, priority_rank)"
        f" from {MARTS}.mart_intervention_queue group by segment, milestone_id, milestone_name, playbook",
    )
    assert groups
    section = _section(report["dom"], "stalled")
    total = sum(count for _, _, count, _ in groups)
    assert f"{total:,} of " in section
    # one card (or, past the first few, one table row) per milestone and playbook
    assert len(re.findall(r'class="[^"]*playbook-group"', report["dom"])) == len(groups)
    for milestone, playbook, count, first in groups:
        assert section.count(playbook) == 1, f"playbook of {milestone} shown {section.count(playbook)} times"
        assert f" {count:,} stalled" in section
        assert first in section  # the group's most urgent account sits under its playbook
    (top,) = query(
        built_duckdb, f"select account_name from {MARTS}.mart_intervention_queue where priority_rank = 1"
    )[0]
    assert f"Most urgent: {top}" in section


def test_the_new_sections_show_their_marts(report: dict, built_duckdb: Path) -> None:
    dom = report["dom"]
    cohorts = _section(dom, "cohorts")
    for (month,) in query(built_duckdb, f"select distinct signup_month from {MARTS}.mart_onboarding_cohorts"):
        assert month.strftime("%b %Y") in cohorts
    experiments = _section(dom, "experiments")
    for experiment, verdict in query(
        built_duckdb,
        f"select experiment_id, verdict from {MARTS}.mart_experiment_results where not is_control",
    ):
        assert experiment.replace("_", " ") in experiments and verdict in experiments
    assert 'aria-label="Difference in completion rate from control, with 95% intervals"' in dom
    depth = re.search(r'<section id="retention_depth">.*?</section>', dom, flags=re.S).group(0)
    segments = query(
        built_duckdb, f"select count(distinct segment) from {MARTS}.mart_retention_by_milestone_depth"
    )
    assert depth.count("<svg") == segments[0][0]
    velocity = re.search(r'<section id="retention_velocity">.*?</section>', dom, flags=re.S).group(0)
    assert velocity.count("<svg") >= 1 and "q1 fastest" in velocity
    contract = _section(dom, "contract")
    (worst, quarantined) = query(
        built_duckdb,
        "select (select event_name from main_marts.mart_event_contract_violation_rates"
        " order by event_violation_rate desc, event_name limit 1),"
        f" (select sum(violating_rows) from {MARTS}.mart_event_contract_violation_rates)",
    )[0]
    assert f"{quarantined:,} rows quarantined" in contract and f"worst: {worst}" in contract


def test_the_over_time_section_counts_live_customers_by_band(report: dict, built_duckdb: Path) -> None:
    dom = report["dom"]
    section = _section(dom, "history")
    # every build records its as-of day in the customer record's history
    (days, last_day) = query(
        built_duckdb, f"select count(distinct as_of_date), max(as_of_date) from {HISTORY}"
    )[0]
    assert days >= 1
    assert "Live customers by band" in section
    assert f"({days} day{'' if days == 1 else 's'} recorded)" in section
    # the last recorded day (the as-of date) counts the same live customers as the headline
    (live,) = query(
        built_duckdb, f"select count(*) from {MARTS}.dim_account_milestone_status where not is_churned"
    )[0]
    html = re.search(r'<section id="history">.*?</section>', dom, flags=re.S).group(0)
    assert re.search(rf"<title>{last_day.strftime('%b %d')}, [a-z ]+: [0-9,]+ of {live:,}</title>", html)


def test_an_empty_history_says_how_to_fill_it(
    built_duckdb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = copy_warehouse(built_duckdb, tmp_path / "warehouse")
    _drop(database, "fct_account_status_history")  # and put an empty one in its place
    execute(database, f"create table {HISTORY} (as_of_date date, account_id varchar, health_band varchar)")
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))

    section = _section(write_report(out=tmp_path).read_text(encoding="utf-8"), "history")

    assert "No history yet: fct_account_status_history is empty" in section
    assert "fill past days with milestones history --from YYYY-MM-DD" in section


def test_sections_whose_marts_are_missing_say_not_built(
    built_duckdb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chromium: str
) -> None:
    database = copy_warehouse(built_duckdb, tmp_path / "warehouse")
    dropped = [
        "mart_health_score_backtest",
        "mart_milestone_candidates",
        "mart_onboarding_cohorts",
        "mart_experiment_results",
        "mart_retention_by_milestone_depth",
        "mart_retention_by_velocity_quartile",
        "mart_event_contract_violation_rates",
    ]
    for name in [*dropped, "fct_account_status_history"]:
        _drop(database, name)
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(database))

    dom = rendered_dom(chromium, write_report(out=tmp_path / "partial.html"))
    text = _visible_text(dom)

    for name in dropped:
        assert f"Not built: {name}" in text
    assert text.count("Not built") == len(dropped)
    assert "Milestone funnel" in text and "Stalled accounts" in text
    assert "fill past days with milestones history" in _section(dom, "history")


def test_text_read_from_the_warehouse_is_escaped() -> None:
    account = {
        "priority_rank": 1,
        "account_name": "<script>alert(1)</script>",
        "owner": "Ann & Bo",
        "segment": "trial",
        "arr": 1200,
        "milestone_name": 'SSO "on"',
        "days_waiting": 20,
        "stall_threshold_days": 14,
        "days_overdue": 6,
        "playbook": "<b>call</b>",
    }
    group = {
        "segment": "trial",
        "milestone_id": "sso",
        "milestone_name": 'SSO "on"',
        "playbook": "<b>call</b>",
        "stalled": 1,
        "arr": 1200,
        "accounts": [account],
    }
    data = ReportData(
        as_of=date(2026, 9, 30),
        segments=["trial"],
        stall_groups=[group],
        stalled_total=1,
        top_stalled=account,
    )

    html = render(data, source="duckdb <file>")

    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "Ann &amp; Bo" in html
    assert "duckdb &lt;file&gt;" in html
    assert _visible_text(html).count("Not built") == 11  # the summary and every section but two
