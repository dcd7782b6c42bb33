"""`milestones load` on DuckDB: the raw-layer contract (tables, metadata columns, text values, bad rows kept,
idempotence, load order) on small hand-made landing files."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from milestones.cli import main
from milestones.load import LoadSummary, load_directory

EVENT_COLUMNS = [
    "event_id",
    "account_id",
    "user_id",
    "event_name",
    "occurred_at",
    "received_at",
    "properties",
]
METADATA = [
    "_load_id",
    "_file_name",
    "_file_checksum",
    "_loaded_at",
    "_row_number",
    "_raw_record",
    "_load_error",
]
ACCOUNT_HEADER = "account_id,account_name,segment,signup_at,arr,crm_id,owner"


@pytest.fixture
def warehouse_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse" / "w.duckdb"
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(path))
    monkeypatch.delenv("MILESTONES_TARGET", raising=False)
    return path


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def event(event_id: str, **fields: Any) -> str:
    record = {
        "event_id": event_id,
        "account_id": "acc_1",
        "user_id": "usr_1",
        "event_name": "task_created",
        "occurred_at": "2026-03-01T10:00:00Z",
        "received_at": "2026-03-01T10:00:05Z",
        "properties": {"project_id": "p1"},
    }
    record.update(fields)
    return json.dumps(record)


def rows(database: Path, table: str, where: str = "true") -> list[dict[str, Any]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        result = connection.execute(
            f"select * from main_raw.{table} where {where} order by _load_id, _row_number"
        )
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def loads(database: Path) -> list[dict[str, Any]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        result = connection.execute("select * from main_raw._loads order by load_id")
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def test_jsonl_rows_carry_the_metadata_columns(warehouse_file: Path, landing: Path) -> None:
    lines = [event("e1"), event("e2", user_id=None)]
    path = write(landing / "events_2026_03.jsonl", "\n".join(lines) + "\n")
    before = datetime.now(UTC).replace(tzinfo=None)

    summary = load_directory(landing)

    loaded = rows(warehouse_file, "events")
    checksum = hashlib.sha256(path.read_bytes()).hexdigest()
    assert [r["event_id"] for r in loaded] == ["e1", "e2"]
    assert loaded[0]["properties"] == '{"project_id":"p1"}'
    assert loaded[1]["user_id"] is None
    for number, (row, line) in enumerate(zip(loaded, lines, strict=True), start=1):
        assert row["_load_id"] == 1
        assert row["_file_name"] == "events_2026_03.jsonl"
        assert row["_file_checksum"] == checksum
        assert before - timedelta(seconds=1) <= row["_loaded_at"] <= datetime.now(UTC).replace(tzinfo=None)
        assert row["_row_number"] == number
        assert row["_raw_record"] == line
        assert row["_load_error"] is None
    assert list(loaded[0]) == [*EVENT_COLUMNS, *METADATA]
    (load,) = loads(warehouse_file)
    assert load == {
        "load_id": 1,
        "file_name": "events_2026_03.jsonl",
        "file_checksum": checksum,
        "table_name": "events",
        "format": "jsonl",
        "row_count": 2,
        "loaded_at": loaded[0]["_loaded_at"],
    }
    assert summary.rows_by_table == {"events": 2}
    assert [f.status for f in summary.files] == ["loaded"]


def test_all_raw_columns_are_text(warehouse_file: Path, landing: Path) -> None:
    write(landing / "events.jsonl", event("e1") + "\n")
    load_directory(landing)
    with duckdb.connect(str(warehouse_file), read_only=True) as connection:
        types = dict(
            connection.execute(
                "select table_name || '.' || column_name, data_type from information_schema.columns "
                "where table_schema = 'main_raw'"
            ).fetchall()
        )
    expected_tables = {
        "events": EVENT_COLUMNS,
        "accounts": ACCOUNT_HEADER.split(","),
        "renewals": ["account_id", "renewal_date", "outcome", "arr_before", "arr_after"],
        "milestone_overrides": ["account_id", "milestone_id", "completed_at", "marked_by", "note"],
        "experiment_assignments": ["account_id", "experiment_id", "variant", "assigned_at"],
    }
    for table, columns in expected_tables.items():
        for column in columns:
            assert types[f"{table}.{column}"] == "VARCHAR", (table, column)
        assert types[f"{table}._load_id"] == "BIGINT"
        assert types[f"{table}._loaded_at"] == "TIMESTAMP"
        assert types[f"{table}._row_number"] == "BIGINT"
        for column in ("_file_name", "_file_checksum", "_raw_record", "_load_error"):
            assert types[f"{table}.{column}"] == "VARCHAR"
    assert types["_loads.load_id"] == "BIGINT"
    assert types["_loads.loaded_at"] == "TIMESTAMP"


def test_json_values_that_are_not_strings_become_their_json_text(warehouse_file: Path, landing: Path) -> None:
    line = (
        '{"event_id": 5, "account_id": true, "user_id": null, "event_name": "x", '
        '"occurred_at": 1767225600, "properties": {"a": 1, "b": [1, "two"], "c": {"d": null}}}'
    )
    write(landing / "events.jsonl", line + "\n" + '{"event_id": "e2", "properties": "not an object"}\n')
    load_directory(landing)
    first, second = rows(warehouse_file, "events")
    assert first["event_id"] == "5"
    assert first["account_id"] == "true"
    assert first["user_id"] is None  # JSON null
    assert first["occurred_at"] == "1767225600"
    assert first["received_at"] is None  # missing key
    assert json.loads(first["properties"]) == {"a": 1, "b": [1, "two"], "c": {"d": None}}
    assert first["_raw_record"] == line
    assert second["properties"] == "not an object"
    assert second["_load_error"] is None


def test_jsonl_lines_that_are_not_objects_are_kept_with_a_load_error(
    warehouse_file: Path, landing: Path
) -> None:
    text = "\n".join(
        [
            event("e1"),
            '{"event_id": "broken", ',
            "[1, 2, 3]",
            "",
            '"just a string"',
            "42",
            event("e2"),
            "   ",
            "",
        ]
    )
    write(landing / "events.jsonl", text + "\n\n")
    summary = load_directory(landing)
    loaded = rows(warehouse_file, "events")
    found = [(r["_row_number"], r["_raw_record"], r["_load_error"], r["event_id"]) for r in loaded]
    assert found == [
        (1, event("e1"), None, "e1"),
        (2, '{"event_id": "broken", ', "line is not valid JSON", None),
        (3, "[1, 2, 3]", "line is a JSON array, not an object", None),
        (4, "", "line is blank", None),
        (5, '"just a string"', "line is a JSON string, not an object", None),
        (6, "42", "line is a JSON number, not an object", None),
        (7, event("e2"), None, "e2"),
        # blank lines at the very end of the file are not rows
    ]
    assert all(r[c] is None for r in loaded if r["_load_error"] for c in EVENT_COLUMNS)
    assert summary.error_rows_by_table == {"events": 5}
    assert loads(warehouse_file)[0]["row_count"] == 7


def test_json_that_only_a_lenient_reader_accepts_is_not_valid(warehouse_file: Path, landing: Path) -> None:
    lines = [
        '{"event_id": "e1", "properties": {"a": 1,}}',
        '{"event_id": "e2",}',
        '{"event_id": "e3", "properties": {"ratio": NaN}}',
        '{"event_id": "e4", "properties": {"big": -Infinity}}',
        '{"event_id": "e5", "note": "a string may hold 1, ] or NaN, }"}',
    ]
    write(landing / "events.jsonl", "\n".join(lines) + "\n")
    load_directory(landing)
    loaded = rows(warehouse_file, "events")
    assert [(r["event_id"], r["_load_error"]) for r in loaded] == [
        (None, "line is not valid JSON (a trailing comma)"),
        (None, "line is not valid JSON (a trailing comma)"),
        (None, "line is not valid JSON (NaN or Infinity is not a JSON number)"),
        (None, "line is not valid JSON (NaN or Infinity is not a JSON number)"),
        ("e5", None),
    ]
    assert [r["_raw_record"] for r in loaded] == lines


def test_odd_bytes_in_jsonl_lines_lose_no_line(warehouse_file: Path, landing: Path) -> None:
    lines = [
        event("e1").encode(),
        b'{"event_id": "ctl\x01char"}',  # raw control character: not valid JSON
        b'{"event_id": "\xff\xfe"}',  # not UTF-8
        b'{"event_id": "nul\\u0000ok", "account_id": "a"}',
        event("e5").encode(),
        b'{"long": "' + b"x" * 30_000 + b'\x01"}',  # beyond what DuckDB keeps of a rejected line
        event("e7").encode(),
    ]
    write(landing / "events.jsonl", b"\n".join(lines) + b"\n")
    load_directory(landing)
    loaded = rows(warehouse_file, "events")
    assert [r["_row_number"] for r in loaded] == [1, 2, 3, 4, 5, 6, 7]
    assert loaded[0]["event_id"] == "e1"
    assert loaded[1]["_load_error"] == "line is not valid JSON"
    assert loaded[1]["_raw_record"] == '{"event_id": "ctl\x01char"}'
    assert loaded[2]["_load_error"] == "line is not valid UTF-8"
    assert loaded[2]["_raw_record"] == '{"event_id": "\\xff\\xfe"}'  # bytes that are not UTF-8 as \xNN
    assert loaded[3]["event_id"] == "nul\x00ok"
    assert loaded[4]["event_id"] == "e5"
    assert loaded[5]["_raw_record"] == lines[5].decode()
    assert loaded[5]["_load_error"] == "line is not valid JSON"
    assert loaded[6]["event_id"] == "e7"


def test_crlf_and_stray_carriage_returns(warehouse_file: Path, landing: Path) -> None:
    write(landing / "events_crlf.jsonl", f"{event('e1')}\r\n{event('e2')}\r\n")
    write(landing / "events_stray.jsonl", event("e3") + '\n{"event_id": "a\rb"}\n' + event("e4") + "\r")
    write(
        landing / "accounts.csv",
        f"{ACCOUNT_HEADER}\r\na1,Acme,smb,2026-01-01,100,c1,ann\r\na2,Stray\rCR,smb,2026-01-01,1,c2,bo\r\n",
    )
    load_directory(landing)
    events = rows(warehouse_file, "events")
    assert [(r["_file_name"], r["_row_number"], r["event_id"]) for r in events] == [
        ("events_crlf.jsonl", 1, "e1"),
        ("events_crlf.jsonl", 2, "e2"),
        ("events_stray.jsonl", 1, "e3"),
        ("events_stray.jsonl", 2, None),
        ("events_stray.jsonl", 3, "e4"),
    ]
    assert events[0]["_raw_record"] == event("e1")
    assert events[3]["_raw_record"] == '{"event_id": "a\rb"}'
    assert events[3]["_load_error"] == "line is not valid JSON"
    assert events[4]["_raw_record"] == event("e4") + "\r"
    first, second = rows(warehouse_file, "accounts")
    assert first["owner"] == "ann"
    assert second["account_name"] == "Stray\rCR"
    assert json.loads(second["_raw_record"])["account_name"] == "Stray\rCR"
    assert second["owner"] == "bo"


def test_csv_columns_by_header_name(warehouse_file: Path, landing: Path) -> None:
    write(
        landing / "accounts.csv",
        "owner,account_id,extra,account_name,segment,signup_at,arr,crm_id\n"
        'ann,a1,x,"Acme, Inc.",smb,2026-01-01,1200.50,crm_1\n'
        'bob,a2,y,"Two\nLines ""quoted""",,2026-01-02,"",crm_2\n',
    )
    load_directory(landing)
    first, second = rows(warehouse_file, "accounts")
    assert first["account_name"] == "Acme, Inc."
    assert first["arr"] == "1200.50"
    assert first["owner"] == "ann"
    assert json.loads(first["_raw_record"]) == {
        "owner": "ann",
        "account_id": "a1",
        "extra": "x",
        "account_name": "Acme, Inc.",
        "segment": "smb",
        "signup_at": "2026-01-01",
        "arr": "1200.50",
        "crm_id": "crm_1",
    }
    assert second["account_name"] == 'Two\nLines "quoted"'
    # An empty CSV field is NULL in the data columns and "" in _raw_record.
    assert second["segment"] is None
    assert second["arr"] is None
    assert json.loads(second["_raw_record"])["segment"] == ""
    assert [first["_row_number"], second["_row_number"]] == [1, 2]
    assert first["_load_error"] is None


def test_csv_rows_with_the_wrong_number_of_fields_are_kept(warehouse_file: Path, landing: Path) -> None:
    write(
        landing / "accounts.csv",
        f"{ACCOUNT_HEADER}\n"
        "a1,Acme,smb,2026-01-01,100,c1,ann\n"
        "a2,Too,many,2026-01-01,100,c2,bob,extra,fields\n"
        "a3,Good,smb,2026-01-01,100,c3,cid\n"
        "a4,too few\n"
        "a5,Last,smb,2026-01-01,100,c5,dan\n",
    )
    summary = load_directory(landing)
    loaded = rows(warehouse_file, "accounts")
    assert [(r["_row_number"], r["account_id"], r["_load_error"]) for r in loaded] == [
        (1, "a1", None),
        (2, None, "CSV row has 9 fields, expected 7"),
        (3, "a3", None),
        (4, None, "CSV row has 2 fields, expected 7"),
        (5, "a5", None),
    ]
    assert loaded[1]["_raw_record"] == "a2,Too,many,2026-01-01,100,c2,bob,extra,fields"
    assert loaded[3]["_raw_record"] == "a4,too few"
    assert summary.error_rows_by_table == {"accounts": 2}


def test_csv_unterminated_quote_keeps_the_rest_of_the_file_as_text(
    warehouse_file: Path, landing: Path
) -> None:
    write(
        landing / "renewals.csv",
        'account_id,renewal_date,outcome,arr_before,arr_after\na1,2026-01-01,renewed,1,2\na2,"open,x,y\na3,z\n',
    )
    load_directory(landing)
    good, bad = rows(warehouse_file, "renewals")
    assert good["outcome"] == "renewed"
    assert bad["_load_error"] == "CSV row has a quoted field that is not closed properly"
    assert "a3,z" in bad["_raw_record"]


def test_missing_received_at_column_is_null(warehouse_file: Path, landing: Path) -> None:
    header = "event_id,account_id,user_id,event_name,occurred_at,properties"
    write(landing / "events_a.csv", f'{header}\ne1,acc_1,u1,login,2026-03-01T10:00:00Z,"{{""x"": 1}}"\n')
    without = json.loads(event("e2"))
    del without["received_at"]
    write(landing / "events_b.jsonl", json.dumps(without) + "\n")
    load_directory(landing)
    first, second = rows(warehouse_file, "events")
    assert first["received_at"] is None and second["received_at"] is None
    assert first["properties"] == '{"x": 1}'  # CSV text arrives as it is
    assert first["event_name"] == "login"
    assert second["event_id"] == "e2"


def test_parquet(warehouse_file: Path, landing: Path) -> None:
    path = landing / "events_part.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"""copy (
                select 'e' || i as event_id, i as account_id,
                       timestamp '2026-03-01 10:00:00' + to_hours(i) as occurred_at,
                       {{'plan': 'team', 'seats': i}} as properties, null::varchar as user_id
                from range(1, 4) t(i)
            ) to '{path}' (format parquet)"""
        )
    load_directory(landing)
    loaded = rows(warehouse_file, "events")
    assert [r["event_id"] for r in loaded] == ["e1", "e2", "e3"]
    assert [r["_row_number"] for r in loaded] == [1, 2, 3]
    first = loaded[0]
    assert first["account_id"] == "1"
    assert first["occurred_at"] == "2026-03-01 11:00:00"
    assert json.loads(first["properties"]) == {"plan": "team", "seats": 1}
    assert first["user_id"] is None
    assert first["received_at"] is None
    assert json.loads(first["_raw_record"]) == {
        "event_id": "e1",
        "account_id": 1,
        "occurred_at": "2026-03-01 11:00:00",
        "properties": {"plan": "team", "seats": 1},
        "user_id": None,
    }
    assert loads(warehouse_file)[0]["format"] == "parquet"


def test_gzip_files(warehouse_file: Path, landing: Path) -> None:
    write(landing / "events.jsonl.gz", gzip.compress(f"{event('e1')}\n{event('e2')}\r\n".encode()))
    write(
        landing / "accounts.csv.gz", gzip.compress(f"{ACCOUNT_HEADER}\na1,A,smb,2026-01-01,1,c,o\n".encode())
    )
    write(landing / "renewals.ndjson", '{"account_id": "a1", "outcome": "renewed"}\n')
    load_directory(landing)
    assert [r["event_id"] for r in rows(warehouse_file, "events")] == ["e1", "e2"]
    assert [r["account_name"] for r in rows(warehouse_file, "accounts")] == ["A"]
    assert [r["outcome"] for r in rows(warehouse_file, "renewals")] == ["renewed"]


def test_each_prefix_goes_to_its_table(warehouse_file: Path, landing: Path) -> None:
    write(
        landing / "milestone_overrides_2026.csv",
        "account_id,milestone_id,completed_at,marked_by,note\na,m,t,csm,n\n",
    )
    write(
        landing / "experiment_assignments.jsonl",
        '{"account_id": "a", "experiment_id": "x", "variant": "b"}\n',
    )
    write(landing / "_manifest.json", "{}")
    write(landing / ".DS_Store", "junk")
    (landing / "archive").mkdir()
    load_directory(landing)
    assert rows(warehouse_file, "milestone_overrides")[0]["marked_by"] == "csm"
    assert rows(warehouse_file, "experiment_assignments")[0]["variant"] == "b"
    assert {load["table_name"] for load in loads(warehouse_file)} == {
        "milestone_overrides",
        "experiment_assignments",
    }


def test_loading_the_same_file_twice_adds_nothing(warehouse_file: Path, landing: Path) -> None:
    write(landing / "events.jsonl", event("e1") + "\n")
    first = load_directory(landing)
    second = load_directory(landing)
    assert [f.status for f in first.files] == ["loaded"]
    assert [(f.status, f.load_id) for f in second.files] == [("skipped", 1)]
    assert len(rows(warehouse_file, "events")) == 1
    assert len(loads(warehouse_file)) == 1
    assert "skipped events.jsonl: same content as load 1" in str(second)


def test_same_content_under_another_name_is_skipped(warehouse_file: Path, landing: Path) -> None:
    write(landing / "events_a.jsonl", event("e1") + "\n")
    write(landing / "events_b.jsonl", event("e1") + "\n")
    summary = load_directory(landing)
    assert [(f.file_name, f.status) for f in summary.files] == [
        ("events_a.jsonl", "loaded"),
        ("events_b.jsonl", "skipped"),
    ]
    write(landing / "events_c.jsonl", event("e1") + "\n")
    again = load_directory(landing)
    assert {f.status for f in again.files} == {"skipped"}
    assert len(rows(warehouse_file, "events")) == 1


def test_load_ids_follow_sorted_file_names_across_loads(warehouse_file: Path, landing: Path) -> None:
    write(landing / "events_2026_02.jsonl", event("feb") + "\n")
    write(landing / "accounts.csv", f"{ACCOUNT_HEADER}\na1,A,smb,2026-01-01,1,c,o\n")
    write(landing / "events_2026_01.jsonl", event("jan") + "\n")
    load_directory(landing)
    write(landing / "events_2026_03.jsonl", event("mar") + "\n")
    load_directory(landing)
    assert [(load["load_id"], load["file_name"]) for load in loads(warehouse_file)] == [
        (1, "accounts.csv"),
        (2, "events_2026_01.jsonl"),
        (3, "events_2026_02.jsonl"),
        (4, "events_2026_03.jsonl"),
    ]
    assert [(r["_load_id"], r["event_id"]) for r in rows(warehouse_file, "events")] == [
        (2, "jan"),
        (3, "feb"),
        (4, "mar"),
    ]


def test_a_file_and_its_loads_row_are_one_transaction(warehouse_file: Path, landing: Path) -> None:
    # A `_loads` table the loader cannot insert into: the file's rows must not stay behind either.
    warehouse_file.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse_file)) as connection:
        connection.execute("create schema main_raw")
        connection.execute("create table main_raw._loads (load_id bigint, unexpected integer not null)")
    write(landing / "events.jsonl", event("e1") + "\n")
    with pytest.raises(duckdb.Error):
        load_directory(landing)
    assert rows(warehouse_file, "events") == []


def test_empty_files_load_no_rows(warehouse_file: Path, landing: Path) -> None:
    write(landing / "events.jsonl", "")
    write(landing / "accounts.csv", "")
    write(landing / "renewals.csv", "account_id,renewal_date,outcome,arr_before,arr_after\n")
    summary = load_directory(landing)
    assert summary.rows_by_table == {"accounts": 0, "events": 0, "renewals": 0}
    assert len(loads(warehouse_file)) == 3


def test_empty_folder_still_creates_the_raw_tables(warehouse_file: Path, landing: Path) -> None:
    summary = load_directory(landing)
    assert str(summary) == f"no landing files in {landing}"
    assert rows(warehouse_file, "events") == [] and loads(warehouse_file) == []


def test_a_file_of_blank_lines_has_no_rows(warehouse_file: Path, landing: Path) -> None:
    write(landing / "events_newline.jsonl", "\n")
    write(landing / "events_blank.jsonl", "\n \n\r\n")
    summary = load_directory(landing)
    assert summary.rows_by_table == {"events": 0}


def test_summary_reads_well(warehouse_file: Path, landing: Path) -> None:
    write(landing / "events.jsonl", event("e1") + "\nnot json\n")
    write(landing / "accounts.csv", f"{ACCOUNT_HEADER}\na1,A,smb,2026-01-01,1,c,o\n")
    summary = load_directory(landing)
    text = str(summary)
    assert isinstance(summary, LoadSummary)
    assert text.splitlines()[0].startswith("loaded 2 files, skipped 0 (already loaded) into main_raw")
    assert "events" in text and "2 rows (1 with a load error)" in text
    assert "accounts" in text and "1 row\n" in text + "\n"


def test_cli_load_prints_the_summary_and_progress(
    warehouse_file: Path, landing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(landing / "events.jsonl", event("e1") + "\n")
    assert main(["load", str(landing)]) == 0
    captured = capsys.readouterr()
    assert "loaded 1 file" in captured.out
    assert "events.jsonl -> main_raw.events: 1 row " in captured.err


def test_cli_unknown_file_is_a_one_line_error(
    warehouse_file: Path, landing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(landing / "events.jsonl", event("e1") + "\n")
    write(landing / "customers.xlsx", "not a landing file")
    assert main(["load", str(landing)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith("milestones load: ")
    assert "'customers.xlsx'" in error
    for recognised in ("events", "accounts", "renewals", "milestone_overrides", ".csv", ".jsonl", ".parquet"):
        assert recognised in error
    assert not warehouse_file.exists()  # nothing was loaded


def test_cli_missing_folder_is_a_one_line_error(
    warehouse_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no_such_folder"
    assert main(["load", str(missing)]) == 2
    error = capsys.readouterr().err
    assert error == f"milestones load: landing folder not found: {missing}\n"


def test_cli_unknown_target_is_a_one_line_error(landing: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(landing / "events.jsonl", event("e1") + "\n")
    assert main(["load", str(landing), "--target", "oracle"]) == 2
    assert (
        capsys.readouterr().err
        == "milestones load: unknown target 'oracle': expected one of duckdb, postgres, spark\n"
    )


def test_warehouse_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from milestones import warehouse

    for name in ("MILESTONES_TARGET", "MILESTONES_DUCKDB_PATH", "MILESTONES_PG_HOST", "MILESTONES_PG_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("MILESTONES_PG_SCHEMA", raising=False)
    default = warehouse.resolve()
    assert isinstance(default, warehouse.DuckDBWarehouse)
    assert default.path == Path("warehouse/milestones.duckdb").resolve()
    assert default.raw_schema == "main_raw"
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(tmp_path / "x.duckdb"))
    assert warehouse.resolve("duckdb").path == tmp_path / "x.duckdb"
    postgres = warehouse.resolve("postgres")
    assert isinstance(postgres, warehouse.PostgresWarehouse)
    assert (postgres.host, postgres.port, postgres.user, postgres.password, postgres.dbname) == (
        "127.0.0.1",
        5432,
        "postgres",
        "",
        "test",
    )
    assert postgres.raw_schema == "milestones_raw"
    monkeypatch.setenv("MILESTONES_TARGET", "postgres")
    monkeypatch.setenv("MILESTONES_PG_SCHEMA", "analytics")
    monkeypatch.setenv("MILESTONES_PG_PORT", "6543")
    chosen = warehouse.resolve()
    assert isinstance(chosen, warehouse.PostgresWarehouse)
    assert (chosen.port, chosen.raw_schema) == (6543, "analytics_raw")
