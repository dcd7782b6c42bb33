"""The bench's hand-written reference pipeline (milestones.bench.reference): it reads landing files as the
loader does, and on generated data with dirty rows it agrees with the product row for row on both of its
outputs (the quarantine reason of every landed event row, every row of fct_account_milestones), for the
sample's definitions and for another company's. The comparison itself reports a row that differs.
"""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE_END, environment
from milestones.bench import report
from milestones.bench.reference import connect, land, landing_files, run_reference, write_outputs
from milestones.bench.reference_check import compare_with_product, differing_rows
from milestones.paths import PROJECT_DIR
from own_project import build_own_project

# ------------------------------------------------------------------------------------ the comparison


@pytest.fixture
def memory() -> Any:
    with duckdb.connect() as connection:
        yield connection


def test_differing_rows_counts_each_side_and_shows_examples(memory: Any) -> None:
    memory.execute("CREATE TABLE ours AS SELECT * FROM (VALUES ('a', 1, 'x'), ('b', 2, NULL), ('c', 3, 'z'))")
    memory.execute(
        "CREATE TABLE theirs AS SELECT * FROM (VALUES ('a', 1, 'x'), ('b', 2, 'y'), ('c', 3, 'z'))"
    )
    for table in ("ours", "theirs"):
        memory.execute(f"ALTER TABLE {table} RENAME col0 TO k")
    columns = ("k", "col1", "col2")
    compared = differing_rows(memory, "ours", "theirs", columns)
    assert (compared["only_reference"], compared["only_product"]) == (1, 1)
    assert compared["only_reference_examples"] == [{"k": "b", "col1": 2, "col2": None}]
    assert compared["only_product_examples"] == [{"k": "b", "col1": 2, "col2": "y"}]
    assert (compared["rows"], compared["product_rows"]) == (3, 3)
    lines = report.format_differences("fct_account_milestones", compared)
    assert "DIFFER" in lines[0] and "1 rows only in the reference, 1 only in the product" in lines[0]
    assert len(lines) == 3
    same = differing_rows(memory, "theirs", "theirs", columns)
    assert (same["only_reference"], same["only_product"]) == (0, 0)
    assert report.format_differences("x", same)[0].startswith("  x: agree;")


def test_differing_rows_counts_a_duplicate_row(memory: Any) -> None:
    memory.execute("CREATE TABLE ours AS SELECT 'e1' AS k, 1 AS n FROM range(2)")
    memory.execute("CREATE TABLE theirs AS SELECT 'e1' AS k, 1 AS n")
    compared = differing_rows(memory, "ours", "theirs", ("k", "n"))
    assert (compared["only_reference"], compared["only_product"]) == (1, 0)


# ------------------------------------------------------------------------------------ reading landing files


def _write_landing(folder: Path) -> None:
    """Every landing format, with rows the loader keeps as unreadable."""
    folder.mkdir()
    jsonl = [
        '{"event_id": "e1", "account_id": "a1", "properties": {"plan": "trial"}}',
        "not json",
        '{"event_id": "e2", "account_id": "a1",}',  # a trailing comma is not JSON
        "[1, 2]",
        '{"event_id": "e3", "account_id": "a1", "occurred_at": "2026-09-01T00:00:00Z", "x": NaN}',
        "",  # a blank line inside the file is a row
        '{"event_id": "e4", "account_id": " a2 ", "user_id": 7}',
        "",  # blank lines at the end are not
        "",
    ]
    (folder / "events_a.jsonl").write_text("\n".join(jsonl), encoding="utf-8")
    (folder / "events_b.jsonl.gz").write_bytes(gzip.compress(b'{"event_id": "g1"}\n{"event_id": \n'))
    csv_text = 'account_id,EVENT_ID,properties\na1,c1,"{""a"": 1}"\na1,c2,x,too many\n,c3,\n'
    (folder / "events_c.csv").write_text(csv_text, encoding="utf-8")
    (folder / "events_c_copy.csv").write_text(csv_text, encoding="utf-8")  # the same bytes: skipped
    pq.write_table(
        pa.table({"event_id": ["p1", "p2"], "occurred_at": ["2026-09-01", None]}), folder / "events_d.parquet"
    )
    (folder / "accounts.csv").write_text(
        "account_id,segment,signup_at\na1,trial,2026-08-01\n", encoding="utf-8"
    )
    (folder / "_manifest.json").write_text("{}", encoding="utf-8")


def test_the_reference_reads_landing_files_as_the_loader_does(tmp_path: Path) -> None:
    """Same rows, file row numbers, fields and unreadable rows as `milestones load` on every format."""
    from milestones.load import load_directory

    landing = tmp_path / "landing"
    _write_landing(landing)
    assert [f.path.name for f in landing_files(landing)] == [
        "accounts.csv",
        "events_a.jsonl",
        "events_b.jsonl.gz",
        "events_c.csv",
        "events_d.parquet",
    ]
    database = tmp_path / "warehouse.duckdb"
    with environment(MILESTONES_DUCKDB_PATH=str(database), MILESTONES_TARGET="duckdb"):
        load_directory(landing)
    fields = "file_name, file_row_number, malformed, event_id, account_id, user_id, occurred_at, properties"
    with connect() as connection:
        land(connection, landing)
        ours = connection.execute(f"SELECT {fields} FROM landed_events ORDER BY ALL").fetchall()
        connection.execute(f"ATTACH '{database}' AS product (READ_ONLY)")
        theirs = connection.execute("""
            SELECT _file_name, _row_number, _load_error IS NOT NULL, event_id, account_id, user_id,
                occurred_at, properties
            FROM product.main_raw.events ORDER BY ALL
        """).fetchall()
    assert ours == theirs
    malformed = {(row[0], row[1]) for row in ours if row[2]}
    assert malformed == {
        ("events_a.jsonl", 2),
        ("events_a.jsonl", 3),
        ("events_a.jsonl", 4),
        ("events_a.jsonl", 5),
        ("events_a.jsonl", 6),
        ("events_b.jsonl.gz", 2),
        ("events_c.csv", 2),
    }
    assert len(ours) == 7 + 2 + 3 + 2


# ------------------------------------------------------------------------------------ against the product


def _reference_against(
    landing: Path, seeds: Path, as_of: date, database: Path, out: Path
) -> dict[str, dict[str, Any]]:
    with connect() as connection:
        run_reference(connection, landing, seeds, as_of)
        write_outputs(connection, out)
        return compare_with_product(connection, out, database, "main")


def _assert_agree(compared: dict[str, dict[str, Any]]) -> None:
    for output, outcome in compared.items():
        assert (outcome["only_reference"], outcome["only_product"]) == (0, 0), (output, outcome)
        assert outcome["rows"] == outcome["product_rows"] > 0, output


def test_the_reference_agrees_with_the_product_row_for_row(
    sample_landing: Path, built_duckdb: Path, tmp_path: Path
) -> None:
    compared = _reference_against(sample_landing, PROJECT_DIR / "seeds", SAMPLE_END, built_duckdb, tmp_path)
    _assert_agree(compared)
    # not a vacuous agreement: the data has every quarantine reason, completions, overrides and stalls
    with duckdb.connect() as connection:
        checks = f"read_parquet('{tmp_path / 'event_checks.parquet'}')"
        reasons = {
            r for (r,) in connection.execute(f"SELECT DISTINCT violation_reason FROM {checks}").fetchall()
        }
        milestones = connection.execute(f"""
            SELECT count(*) FILTER (status = 'completed'), count(*) FILTER (completion_source = 'csm'),
                count(*) FILTER (is_stalled), count(*) FILTER (stall_threshold_source = 'peer_p75'),
                count(DISTINCT status)
            FROM read_parquet('{tmp_path / "account_milestones.parquet"}')
        """).fetchone()
    assert len(reasons - {None}) == 10, reasons
    completed, by_csm, stalled, by_peers, statuses = milestones
    assert completed > 0 and by_csm > 0 and stalled > 0 and by_peers > 0 and statuses == 3


def test_a_changed_product_row_is_reported(sample_landing: Path, built_duckdb: Path, tmp_path: Path) -> None:
    """The comparison sees one wrong column of one row: a copy of the warehouse with one row edited."""
    import shutil

    database = tmp_path / "edited.duckdb"
    shutil.copyfile(built_duckdb, database)
    with duckdb.connect(str(database)) as connection:
        connection.execute("""
            UPDATE main_marts.fct_account_milestones SET days_waiting = days_waiting + 1
            WHERE rowid = (SELECT min(rowid) FROM main_marts.fct_account_milestones WHERE status = 'active')
        """)
        connection.execute("""
            UPDATE main_intermediate.int_events__contract_checked SET violation_reason = 'unknown_event'
            WHERE raw_row_id = (SELECT min(raw_row_id) FROM main_intermediate.int_events__contract_checked
                                WHERE violation_reason IS NULL)
        """)
    compared = _reference_against(
        sample_landing, PROJECT_DIR / "seeds", SAMPLE_END, database, tmp_path / "out"
    )
    for output in ("event_checks", "account_milestones"):
        assert (compared[output]["only_reference"], compared[output]["only_product"]) == (1, 1), output
    assert compared["event_checks"]["only_product_examples"][0]["violation_reason"] == "unknown_event"
    assert compared["event_checks"]["only_reference_examples"][0]["violation_reason"] is None


# ------------------------------------------------------------------------------------ other definitions

DEFINITIONS = PROJECT_DIR / "tests" / "definitions" / "api_platform"
OTHER_AS_OF = date(2026, 9, 30)


@pytest.mark.slow
def test_the_reference_agrees_on_another_companys_definitions(dbt_artifacts: Path, tmp_path: Path) -> None:
    """Other segments (4, 6 and 8 milestones), other events, every criteria feature, and every optional
    seed header-only (so stalls are measured against target_days by default)."""
    from milestones.sample import generate

    landing = tmp_path / "landing"
    generate(
        accounts=60,
        days=120,
        seed=5,
        out=landing,
        dirty_rate=0.03,
        end_date=OTHER_AS_OF,
        progress=False,
        seeds_dir=DEFINITIONS,
    )
    project, database = build_own_project(tmp_path, landing, DEFINITIONS, OTHER_AS_OF)
    compared = _reference_against(landing, project / "seeds", OTHER_AS_OF, database, tmp_path / "out")
    _assert_agree(compared)
    with duckdb.connect() as connection:
        segments = connection.execute(f"""
            SELECT count(DISTINCT segment), max(sequence), count(*) FILTER (status = 'completed')
            FROM read_parquet('{tmp_path / "out" / "account_milestones.parquet"}')
        """).fetchone()
    assert segments[0] == 3 and segments[1] == 8 and segments[2] > 0
