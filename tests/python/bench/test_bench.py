"""`milestones bench` (docs/performance.md): its pure helpers, the day split, and one small real run."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from milestones.bench import DEFAULT_EVENTS, add_arguments, report
from milestones.bench.split import HELD_BACK_PREFIX, hold_back_day

# ------------------------------------------------------------------------------------ calibration


def test_accounts_for_events_scales_the_sample() -> None:
    assert report.accounts_for_events(10_000_000, sample_events=364_000, sample_accounts=200) == 5_495
    assert report.accounts_for_events(1_000, sample_events=364_000, sample_accounts=200) == 1
    assert report.accounts_for_events(3_640, sample_events=364_000, sample_accounts=200) == 2


@pytest.mark.parametrize(("events", "accounts"), [(0, 10), (10, 0)])
def test_accounts_for_events_refuses_an_empty_sample(events: int, accounts: int) -> None:
    with pytest.raises(ValueError):
        report.accounts_for_events(1_000, sample_events=events, sample_accounts=accounts)


def test_a_run_within_ten_percent_is_close_enough() -> None:
    assert report.close_enough(1_000_000, 1_090_000)
    assert report.close_enough(1_000_000, 910_000)
    assert not report.close_enough(1_000_000, 846_252)
    assert not report.close_enough(30_000, 48_200)


def test_calibration_sample_is_the_run_when_small_and_capped_when_large() -> None:
    assert report.calibration_accounts(30_000, 1_800, 10, 200) == 17
    assert report.calibration_accounts(1_000, 1_800, 10, 200) == 10
    assert report.calibration_accounts(10_000_000, 1_800, 10, 200) == 200


# ------------------------------------------------------------------------------------ run results

T0 = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


def _node(unique_id: str, start: float, end: float, status: str = "success") -> dict:
    def stamp(seconds: float) -> str:
        return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")

    return {
        "unique_id": unique_id,
        "status": status,
        "execution_time": end - start,
        "timing": [
            {"name": "compile", "started_at": stamp(start - 0.1), "completed_at": stamp(start)},
            {"name": "execute", "started_at": stamp(start), "completed_at": stamp(end)},
        ],
    }


def _run_results() -> dict:
    # two dbt threads: the model and the first test overlap between 2s and 3s
    return {
        "elapsed_time": 12.0,
        "args": {"threads": 2},
        "results": [
            _node("model.milestone_warehouse.int_events__contract_checked", 1.0, 5.0),
            _node("test.milestone_warehouse.not_null_fct_events_event_id.abc", 2.0, 3.0),
            _node("model.milestone_warehouse.fct_account_milestones", 6.0, 7.5),
            _node("seed.milestone_warehouse.milestones", 0.0, 0.5),
            _node("unit_test.milestone_warehouse.x.y", 8.0, 8.25, status="fail"),
        ],
    }


def test_union_seconds_counts_overlaps_once() -> None:
    def interval(start: float, end: float) -> tuple[datetime, datetime]:
        return T0 + timedelta(seconds=start), T0 + timedelta(seconds=end)

    assert report.union_seconds([]) == 0
    assert report.union_seconds([interval(0, 2), interval(1, 3), interval(5, 6)]) == pytest.approx(4.0)
    assert report.union_seconds([interval(5, 6), interval(0, 10)]) == pytest.approx(10.0)


def test_dbt_overhead_is_wall_time_minus_the_time_nodes_were_running() -> None:
    timing = report.dbt_timing(_run_results(), wall_seconds=20.0)
    # busy: [0, 0.5] + [1, 5] + [6, 7.5] + [8, 8.25] = 0.5 + 4 + 1.5 + 0.25
    assert timing.busy_s == pytest.approx(6.25)
    assert timing.node_seconds == pytest.approx(7.25)  # the overlap counts twice in the plain sum
    assert timing.overhead_s == pytest.approx(13.75)
    assert timing.overhead_share == pytest.approx(13.75 / 20, abs=1e-4)
    assert timing.startup_s == pytest.approx(8.0)
    assert timing.dbt_elapsed_s == 12.0
    assert timing.threads == 2
    assert list(timing.by_type) == ["model", "test", "seed", "unit_test"]
    assert timing.by_type["model"] == {"nodes": 2, "seconds": 5.5}


def test_dbt_overhead_never_negative_and_tolerates_missing_timing() -> None:
    results = {
        "elapsed_time": 3.0,
        "results": [{"unique_id": "model.p.m", "execution_time": 5.0, "timing": []}],
    }
    timing = report.dbt_timing(results, wall_seconds=2.0)
    assert timing.busy_s == 0
    assert timing.overhead_s == 2.0
    assert timing.startup_s == 0
    assert timing.threads is None


def test_slowest_nodes_longest_first() -> None:
    nodes = report.slowest_nodes(_run_results(), limit=2)
    assert [node["node"] for node in nodes] == ["int_events__contract_checked", "fct_account_milestones"]
    assert nodes[0] == {
        "node": "int_events__contract_checked",
        "unique_id": "model.milestone_warehouse.int_events__contract_checked",
        "type": "model",
        "seconds": 4.0,
        "status": "success",
    }
    assert report.failed_nodes(_run_results()) == ["unit_test.milestone_warehouse.x.y"]
    models = report.slowest_nodes(_run_results(), types=report.DATA_NODE_TYPES)
    assert [node["node"] for node in models] == [
        "int_events__contract_checked",
        "fct_account_milestones",
        "milestones",
    ]


def test_compare_builds_lists_the_models_the_incremental_build_still_pays_for() -> None:
    incremental = {
        "results": [
            _node("model.milestone_warehouse.int_events__contract_checked", 0.0, 0.5),
            _node("model.milestone_warehouse.fct_account_milestones", 1.0, 2.5),
            _node("model.milestone_warehouse.brand_new_model", 3.0, 3.1),
            _node("test.milestone_warehouse.not_null_fct_events_event_id.abc", 2.0, 9.0),
        ]
    }
    rows = report.compare_builds(_run_results(), incremental, limit=5)
    assert [row["node"] for row in rows] == [
        "fct_account_milestones",
        "int_events__contract_checked",
        "brand_new_model",
    ]
    assert rows[0] == {
        "node": "fct_account_milestones",
        "type": "model",
        "full_s": 1.5,
        "incremental_s": 1.5,
        "share": 1.0,
    }
    assert rows[1]["share"] == 0.125
    assert rows[2]["full_s"] is None and rows[2]["share"] is None
    assert "fct_account_milestones" in report.format_comparison(rows)
    assert report.format_by_type({"model": {"nodes": 2, "seconds": 5.5}}) == "model 2 nodes 5.5s"


# ------------------------------------------------------------------------------------ sizes, targets, table


def test_format_bytes() -> None:
    assert report.format_bytes(None) == "-"
    assert report.format_bytes(512) == "512 B"
    assert report.format_bytes(3 * 1024**2) == "3.00 MiB"
    assert report.format_bytes(5.5 * 1024**3) == "5.50 GiB"


def test_targets_at_1m_check_the_daily_ratio_and_the_build_with_no_new_data() -> None:
    targets = report.check_targets(
        report.Figures(
            events=1_000_000, completed=True, reference_ratio=7.0, daily_ratio=0.5, no_new_data_s=14.0
        )
    )
    assert [t.met for t in targets] == [None, False, True, None, None]
    assert [t.verdict for t in targets][:3] == ["not checked", "MISSED", "met"]
    assert "7.0x at 1,000,000 events (the target is at 10M)" in targets[0].detail


def test_targets_at_10m_judge_the_reference_ratio_and_the_peak_memory() -> None:
    def at_10m(ratio: float, peak_gib: float) -> list[bool | None]:
        figures = report.Figures(
            events=9_100_000,  # a 10M run that landed 9% short still counts as one
            completed=True,
            reference_ratio=ratio,
            daily_ratio=0.09,
            no_new_data_s=30.0,
            peak_memory_bytes=int(peak_gib * 1024**3),
        )
        return [t.met for t in report.check_targets(figures)]

    assert at_10m(1.9, 3.9) == [True, True, None, True, None]
    assert at_10m(2.1, 4.1) == [False, True, None, False, None]


def test_the_100m_target_needs_the_memory_limit_the_peak_and_the_10m_time() -> None:
    def at_100m(limit: int | None, peak_gib: float, ten: float | None, completed: bool = True) -> bool | None:
        figures = report.Figures(
            events=100_000_000,
            completed=completed,
            peak_memory_bytes=int(peak_gib * 1024**3),
            memory_limit_bytes=limit,
            load_and_full_build_s=2_400.0,
            ten_million_load_and_full_build_s=ten,
        )
        return report.check_targets(figures)[4].met

    four = 4 * 1000**3
    assert at_100m(four, 4.4, 250.0) is True  # 9.6x the 10M run
    assert at_100m(four, 4.4, 150.0) is False  # 16x
    assert at_100m(four, 4.6, 250.0) is False
    assert at_100m(four, 4.4, None) is None, "no 10M run beside it: the time is not judged"
    assert at_100m(8 * 1024**3, 4.4, 250.0) is None, "asks for --memory-limit 4GB"
    assert at_100m(four, 4.4, 250.0, completed=False) is False


def test_a_failed_build_is_not_judged_on_times_or_ratios() -> None:
    targets = report.check_targets(
        report.Figures(events=1_000_000, completed=False, daily_ratio=0.01, no_new_data_s=1.0)
    )
    assert [t.met for t in targets][:3] == [None, None, None]
    assert "not judged" in targets[1].detail and "not judged" in targets[2].detail


def test_format_table_aligns_the_columns() -> None:
    row = {
        "events": 1_234_567,
        "load_s": 12.345,
        "full_build_s": 60.0,
        "events_per_second": 20_576.1,
        "incremental_s": 30.0,
        "incremental_ratio": 0.5,
        "daily_ratio": 0.25,
        "no_new_data_s": 12.5,
        "next_day_s": 20.0,
        "peak_memory_bytes": 2 * 1024**3,
        "reference_ratio": 12.345,
    }
    text = report.format_table([row, {**row, "incremental_s": None}])
    header, rule, first, second = text.splitlines()
    expected = "events | load s | full build s | events/s | incremental s | incremental/full | daily/full"
    expected += " | no new data s"
    expected += " | next day s"
    expected += " | peak memory"
    expected += " | vs reference"
    assert header.split() == expected.replace("|", "").split()
    assert first.split() == [
        "1,234,567",
        "12.3",
        "60.0",
        "20,576",
        "30.0",
        "50.0%",
        "25.0%",
        "12.5",
        "20.0",
        "2.00",
        "GiB",
        "12.3x",
    ]
    assert second.split()[4] == "-"
    assert len({len(line) for line in (header, rule, first, second)}) == 1
    markdown = report.format_table([row], markdown=True).splitlines()
    assert markdown[0].startswith("| events | load s | full build s |")
    assert (
        markdown[2]
        == "| 1,234,567 | 12.3 | 60.0 | 20,576 | 30.0 | 50.0% | 25.0% | 12.5 | 20.0 | 2.00 GiB | 12.3x |"
    )


# ------------------------------------------------------------------------------------ the day split

COLUMNS = ("event_id", "account_id", "user_id", "event_name", "occurred_at", "received_at", "properties")


def test_hold_back_day_cuts_every_format_by_received_date(tmp_path: Path) -> None:
    source = tmp_path / "generated"
    source.mkdir()
    lines = [
        '{"event_id":"e1","received_at":"2026-09-28T10:00:00Z","properties":{"a":0.50}}',
        "",
        "not json at all",
        '{"event_id":"e2","received_at":"2026-09-30T00:10:00Z","properties":{}}',
        '{"event_id":"e3","received_at":"2026-09-29T23:59:59-01:00"}',  # 2026-09-30 in UTC
        '{"event_id":"e4","received_at":null}',
    ]
    (source / "events_0001.jsonl").write_text("\n".join(lines) + "\n")
    csv_rows = [
        "event_id,account_id,user_id,event_name,occurred_at,received_at,properties",
        'c1,a,u,x,2026-09-29T00:00:00Z,2026-09-29T00:00:01Z,"{""k"":""v, w""}"',
        'c2,a,u,x,2026-09-30T00:00:00Z,2026-09-30T00:00:01Z,"{""k"":1}"',
    ]
    (source / "events_backfill.csv").write_text("\n".join(csv_rows) + "\n")
    parquet = {name: [f"p1-{name}", f"p2-{name}"] for name in COLUMNS}
    parquet["received_at"] = ["2026-09-30T08:00:00Z", "2026-09-01T08:00:00Z"]
    parquet["properties"] = ['{"n": 1}', "not an object"]
    pq.write_table(pa.table(parquet), source / "events_0002.parquet")
    (source / "accounts.csv").write_text("account_id\na\n")
    (source / "_manifest.json").write_text("{}")

    with duckdb.connect() as connection:
        summary = hold_back_day(connection, source, tmp_path / "base", tmp_path / "day", date(2026, 9, 30))

    assert summary.files == {
        "events_0001.jsonl": (4, 2),
        "events_0002.parquet": (1, 1),
        "events_backfill.csv": (1, 1),
    }
    assert (summary.base_rows, summary.held_back_rows) == (6, 4)
    base = tmp_path / "base"
    assert sorted(p.name for p in base.iterdir()) == [
        "accounts.csv",
        "events_0001.jsonl",
        "events_0002.parquet",
        "events_backfill.csv",
    ]
    # JSON Lines kept byte for byte, blank and malformed lines included, in file order
    assert (base / "events_0001.jsonl").read_text() == "\n".join([lines[0], "", lines[2], lines[5]]) + "\n"
    assert pq.read_table(base / "events_0002.parquet").column("event_id").to_pylist() == ["p2-event_id"]
    assert "c1,a,u,x" in (base / "events_backfill.csv").read_text()
    assert not any(p.name.startswith("events") for p in source.iterdir())

    held = summary.held_back_file
    assert held is not None and held.name == f"{HELD_BACK_PREFIX}2026-09-30.jsonl"
    held_lines = held.read_text().splitlines()
    assert held_lines[:2] == [lines[3], lines[4]]
    # CSV and Parquet rows become JSON objects of strings: the loader reads back the same texts
    records = [json.loads(line) for line in held_lines[2:]]
    assert records[0]["event_id"] == "p1-event_id"
    assert records[0]["properties"] == '{"n": 1}'
    assert records[1]["event_id"] == "c2"
    assert records[1]["properties"] == '{"k":1}'


# ------------------------------------------------------------------------------------ options


def _help_options(
    main: Callable[[list[str]], int], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> str:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    return capsys.readouterr().out.split("options:", 1)[1].split("\n\n", 1)[0]


def test_console_script_and_module_show_the_same_bench_options(capsys: pytest.CaptureFixture[str]) -> None:
    from milestones.bench.__main__ import main as module_main
    from milestones.cli import main as cli_main

    options = _help_options(cli_main, ["bench"], capsys)
    assert options == _help_options(module_main, [], capsys)
    for option in ("--events", "--out", "--work-dir", "--keep", "--memory-limit", "--threads"):
        assert option in options


def test_bench_events_accept_grouped_digits_and_refuse_zero() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(["--events", "1_000_000"]).events == 1_000_000
    assert parser.parse_args([]).events == DEFAULT_EVENTS
    with pytest.raises(SystemExit):
        parser.parse_args(["--events", "0"])
    defaults = parser.parse_args([])
    assert defaults.event_files == "mixed" and not defaults.no_reference
    chosen = parser.parse_args(["--event-files", "parquet", "--no-reference"])
    assert chosen.event_files == "parquet" and chosen.no_reference
    with pytest.raises(SystemExit):
        parser.parse_args(["--event-files", "csv"])


# ------------------------------------------------------------------------------------ a real run


@pytest.mark.slow
def test_small_bench_run_end_to_end(
    dbt_artifacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from milestones.bench import run_bench

    result = run_bench(events=30_000, out_dir=tmp_path / "reports", work_dir=tmp_path / "work", threads=2)
    assert result.exit_code == 0, result.to_dict()
    saved = json.loads((tmp_path / "reports" / "bench_30000.json").read_text())
    for key in (
        "events",
        "load_s",
        "full_build_s",
        "events_per_second",
        "incremental_s",
        "incremental_ratio",
        "daily_ratio",
        "no_new_data_s",
        "next_day_s",
        "peak_memory_bytes",
        "reference",
        "full_build",
        "incremental_build",
        "targets",
        "phases",
        "settings",
    ):
        assert saved[key] is not None, key
    assert 15_000 <= saved["events"] <= 60_000
    assert saved["events_full_build"] + saved["events_held_back"] == saved["events"]
    assert saved["events_held_back"] > 0
    # Not asserted: incremental_s < full_build_s. At this size both builds are fixed cost (dbt start-up,
    # ~300 nodes, the validations) and the incremental one measured slower (about 110% of the full one);
    # the comparison is the bench's finding at 1M+ events, not a property of a 30k-event run.
    assert saved["incremental_ratio"] == pytest.approx(
        saved["incremental_s"] / saved["full_build_s"], abs=1e-3
    )
    daily = saved["incremental_load_s"] + saved["incremental_s"]
    assert saved["daily_ratio"] == pytest.approx(daily / (saved["load_s"] + saved["full_build_s"]), abs=1e-3)
    # the history is built as of the day before the held-back one, which then moves the as-of one day
    held_back_day = date.fromisoformat(saved["held_back_day"])
    assert saved["full_build"]["as_of"] == (held_back_day - timedelta(days=1)).isoformat()
    assert saved["incremental_build"]["as_of"] == saved["held_back_day"]
    assert saved["peak_memory_bytes"] > 10 * 1024**2
    assert saved["settings"]["duckdb_threads"] == 2
    # nothing changed since the incremental build: the same day's build stops before dbt
    assert saved["no_new_data_build"] == {
        "as_of": saved["held_back_day"],
        "exit_code": 0,
        "dbt": "not run: nothing changed since the last build",
    }
    for build in ("full_build", "incremental_build", "next_day_build"):
        assert saved[build]["exit_code"] == 0
        assert saved[build]["slowest_models"], build
        assert {node["type"] for node in saved[build]["slowest_models"]} <= {"model", "seed", "snapshot"}
        timing = saved[build]["timing"]
        assert 0 < timing["busy_s"] <= timing["wall_s"]
        assert timing["overhead_s"] == pytest.approx(timing["wall_s"] - timing["busy_s"], abs=0.01)
    reference = saved["reference"]
    assert reference["seconds"] > 0 and reference["peak_bytes"] > 10 * 1024**2
    assert reference["ratio"] == saved["reference_ratio"]
    assert reference["ratio"] == pytest.approx(
        (saved["load_s"] + saved["full_build_s"]) / reference["seconds"], rel=0.01
    )
    # the reference read the same landing files as the product's load, and agrees with it row for row
    assert reference["landed_rows"]["events"] == saved["events_full_build"]
    for output in ("event_checks", "account_milestones"):
        assert reference[output]["only_reference"] == reference[output]["only_product"] == 0, output
        assert reference[output]["rows"] == reference[output]["product_rows"] > 0, output
    assert {"reference pipeline", "reference check"} <= {p["phase"] for p in saved["phases"]}
    assert saved["targets"][0]["verdict"] == "not checked"
    assert {p["phase"] for p in saved["phases"]} >= {
        "load",
        "full build",
        "load day",
        "incremental build",
        "no new data",
        "next day, no new data",
    }
    assert [target["verdict"] for target in saved["targets"]][2] != "not checked", "no new data at 30k"
    assert not (tmp_path / "work").exists() or not any((tmp_path / "work").iterdir())  # cleaned up
    printed = capsys.readouterr().out
    assert "incremental/full" in printed and "vs reference" in printed
    assert f"(load + full build) / reference = {reference['ratio']:,.1f}x" in printed
    assert printed.count(": agree;") == 2
    assert "targets:" in printed
