"""Parsing landing files into canonical raw rows with DuckDB's native readers: the one code path that every
target uses (DuckDB inserts the rows, PostgreSQL receives them through COPY).

A text file is read in two steps, so that no input row is ever lost and the heavy work runs in parallel:

1. stage: DuckDB's CSV reader, in strict mode, numbers the records of the file into a temporary table
   (`row_number() over ()` keeps file order). JSON Lines are read as CSV with one varchar column (no quote,
   a delimiter that valid JSON never contains raw), so each line is one value. Records the reader refuses
   (wrong number of CSV fields, invalid UTF-8, a JSONL line holding the delimiter...) land in its rejects
   table with their text and line number; they are added back as rows with `_load_error` (or, for a JSONL
   line that only held the delimiter, parsed like any other line) and the good rows are renumbered around
   them.
2. select: the canonical rows (data columns as text, the metadata columns) are a SELECT over the staging
   table, where JSON parsing runs in parallel.

DuckDB's strict reader does not accept a carriage return outside a quoted field. Files that have one (CRLF
line ends, a stray CR) are first copied with CRLF turned into LF and any other CR into a private-use
character, which the select turns back into CR; the same copy decompresses a .gz file it could not read.

Parquet needs no staging: read_parquet gives typed columns and their row numbers.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from milestones.errors import UserError
from milestones.load.landing import RAW_TABLES, LandingFile

STAGE = "_milestones_stage"
STAGE_NEXT = "_milestones_stage_next"
REJECTED = "_milestones_rejected"
REJECT_ERRORS = "_milestones_reject_errors"
REJECT_SCANS = "_milestones_reject_scans"

# Longest line / CSV record DuckDB reads; a longer one becomes a row with a load error.
MAX_LINE_BYTES = 16 * 1024 * 1024
# JSON never contains this byte raw (control characters must be escaped in strings), so a line splits on it
# only when it is not valid JSON anyway, and then the rejects table gives the whole line back.
JSONL_DELIMITER = "\x01"
# An impossible CSV null string: every CSV field is read as text, empty fields as ''.
CSV_NULL = "\x02\x03milestones:no-null\x03\x02"
# Stand-ins for a lone carriage return in a normalised copy (the first one absent from the file is used).
CR_PLACEHOLDERS = tuple(chr(code) for code in range(0xF8F0, 0xF900))
BLOCK = 8 * 1024 * 1024
# What DuckDB's lenient JSON reader accepts in an object and JSON does not (RE2 patterns).
JSON_STRING = r'"(?:[^"\\]|\\.)*"'
TRAILING_COMMA = r",\s*[}\]]"
NON_FINITE = r"[:\[,]\s*-?(?i:inf|nan)"
LENIENT_HINT = f"{TRAILING_COMMA}|{NON_FINITE}"


@dataclass(frozen=True)
class LoadMeta:
    """What every row of one load carries besides its data."""

    load_id: int
    file_name: str
    file_checksum: str
    loaded_at: datetime  # UTC, naive


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Fingerprint:
    checksum: str  # sha256 of the file's bytes, as landed
    lines: int | None  # lines of a plain text file (None for a gzip file)


def fingerprint(path: Path, count_lines: bool) -> Fingerprint:
    """The file's sha256 and, for a plain text file, its number of lines (to check the reader lost none)."""
    digest = hashlib.sha256()
    buffer = bytearray(BLOCK)
    view = memoryview(buffer)
    newlines, last = 0, b"\n"
    with path.open("rb") as file:
        while size := file.readinto(buffer):
            digest.update(view[:size])
            if count_lines:
                newlines += buffer.count(b"\n", 0, size)
                last = bytes(view[size - 1 : size])
    lines = newlines + (last != b"\n") if count_lines else None
    return Fingerprint(digest.hexdigest(), lines)


class _Misread(Exception):
    """DuckDB's reader returned fewer or more lines than the file has."""


class Staged:
    """A landing file read into the connection's temporary tables, ready to give its canonical rows."""

    def __init__(self, landing: LandingFile) -> None:
        self.landing = landing

    def select_sql(self, meta: LoadMeta) -> str:
        """SELECT of the canonical rows: the table's data columns then the metadata columns, all in
        the order of landing.table_columns()."""
        raise NotImplementedError


def meta_sql(meta: LoadMeta) -> str:
    loaded_at = meta.loaded_at.isoformat(sep=" ", timespec="microseconds")
    return (
        f"CAST({int(meta.load_id)} AS BIGINT) AS _load_id, {sql_literal(meta.file_name)} AS _file_name, "
        f"{sql_literal(meta.file_checksum)} AS _file_checksum, "
        f"CAST({sql_literal(loaded_at)} AS TIMESTAMP) AS _loaded_at"
    )


class Parser:
    """Stages landing files in a DuckDB connection (the warehouse itself, or an in-memory one)."""

    def __init__(self, connection: Any, scratch: Path) -> None:
        self.connection = connection
        self.scratch = scratch

    def stage(self, landing: LandingFile, fingerprint: Callable[[], Fingerprint]) -> Staged:
        """Read a file into the staging tables. `fingerprint` gives the file's line count (it may still
        be being computed while DuckDB reads the file)."""
        self.drop()
        try:
            if landing.format == "parquet":
                return self._stage_parquet(landing)
            return self._stage_text(landing, fingerprint)
        except UserError:
            raise
        except Exception as error:  # a duckdb.Error, an OSError, a bad gzip stream...
            raise UserError(f"cannot read {landing.name}: {_first_line(error)}") from None

    def drop(self) -> None:
        for table in (STAGE, STAGE_NEXT, REJECTED, REJECT_ERRORS, REJECT_SCANS):
            self.connection.execute(f"DROP TABLE IF EXISTS temp.{table}")
        for path in self.scratch.glob("normalised*"):
            path.unlink()

    # -- text files ------------------------------------------------------------------------------------

    def _stage_text(self, landing: LandingFile, fingerprint: Callable[[], Fingerprint]) -> Staged:
        import duckdb

        source, placeholder = landing.path, None
        try:
            header = self._read_text(landing, source)
            if landing.format == "jsonl" and not landing.gzipped:
                self._check_line_count(fingerprint().lines)
        except (duckdb.Error, _Misread):
            # A carriage return outside a quoted field (or a .gz DuckDB cannot read): normalise a copy.
            source, placeholder, lines = self._normalised_copy(landing)
            header = self._read_text(landing, source)
            if landing.format == "jsonl":
                try:
                    self._check_line_count(lines)
                except _Misread as misread:
                    raise UserError(f"cannot read {landing.name}: {misread}") from None
        if landing.format == "csv":
            return StagedCsv(landing, header or [], placeholder)
        self._drop_trailing_blank_lines(placeholder)
        return StagedJsonl(landing, placeholder)

    def _check_line_count(self, expected: int | None) -> None:
        (staged,) = self.connection.execute(f"SELECT count(*) FROM {STAGE}").fetchone()
        if expected is not None and staged != expected:
            raise _Misread(f"the reader returned {staged} lines, the file has {expected}")

    def _read_text(self, landing: LandingFile, source: Path) -> list[str] | None:
        """Fill the staging table with every record of a file, numbered from 1 (a CSV file's header is
        record 1); returns the CSV header (None for JSONL)."""
        for table in (STAGE, STAGE_NEXT, REJECTED, REJECT_ERRORS, REJECT_SCANS):
            self.connection.execute(f"DROP TABLE IF EXISTS temp.{table}")
        # header = false even for CSV: DuckDB 2.0 returns no rows at all for header = true on some files.
        common = (
            "header = false, auto_detect = false, new_line = '\\n', comment = '', skip = 0, "
            f"strict_mode = true, max_line_size = {MAX_LINE_BYTES}, store_rejects = true, "
            f"rejects_table = '{REJECT_ERRORS}', rejects_scan = '{REJECT_SCANS}'"
        )
        if landing.format == "jsonl":
            header = None
            reader = (
                f"read_csv({sql_literal(str(source))}, columns = {{'line': 'VARCHAR'}}, "
                f"delim = {sql_literal(JSONL_DELIMITER)}, quote = '', escape = '', {common})"
            )
            columns = "line, CAST(NULL AS VARCHAR) AS read_error"
        else:
            header, delimiter = read_csv_header(source)
            if not header:
                self.connection.execute(
                    f"CREATE TEMP TABLE {STAGE} (rn BIGINT, raw_text VARCHAR, read_error VARCHAR)"
                )
                return header
            names = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, len(header) + 1))
            reader = (
                f"read_csv({sql_literal(str(source))}, columns = {{{names}}}, "
                f"delim = {sql_literal(delimiter)}, quote = '\"', escape = '\"', "
                f"nullstr = {sql_literal(CSV_NULL)}, {common})"
            )
            fields = ", ".join(f"c{i}" for i in range(1, len(header) + 1))
            columns = f"{fields}, CAST(NULL AS VARCHAR) AS raw_text, CAST(NULL AS VARCHAR) AS read_error"
        self.connection.execute(
            f"CREATE TEMP TABLE {STAGE} AS SELECT row_number() OVER () AS rn, {columns} FROM {reader}"
        )
        self._add_rejected(header, source)
        return header

    def _add_rejected(self, header: list[str] | None, source: Path) -> None:
        """Rows the reader refused become rows too, at their place in the file."""
        if not self.connection.execute(f"SELECT count(*) FROM {REJECT_ERRORS}").fetchone()[0]:
            return
        if header is None:
            reason = f"""CASE
                WHEN list_contains(types, 'INVALID ENCODING') THEN 'line is not valid UTF-8'
                WHEN list_contains(types, 'LINE SIZE OVER MAXIMUM')
                    THEN 'line is longer than {MAX_LINE_BYTES} bytes'
                WHEN types = ['TOO MANY COLUMNS'] THEN NULL  -- only held the delimiter: parse it as JSON
                ELSE 'line could not be read: ' || message END"""
            values = "raw_text AS line, read_error"
        else:
            expected = len(header)
            reason = f"""CASE
                WHEN list_contains(types, 'INVALID ENCODING') THEN 'CSV row is not valid UTF-8'
                WHEN list_contains(types, 'LINE SIZE OVER MAXIMUM')
                    THEN 'CSV row is longer than {MAX_LINE_BYTES} bytes'
                WHEN list_contains(types, 'TOO MANY COLUMNS')
                    THEN 'CSV row has ' || most || ' fields, expected {expected}'
                WHEN list_contains(types, 'MISSING COLUMNS')
                    THEN 'CSV row has ' || fewest || CASE WHEN fewest = 1 THEN ' field' ELSE ' fields' END
                         || ', expected {expected}'
                WHEN list_contains(types, 'UNQUOTED VALUE')
                    THEN 'CSV row has a quoted field that is not closed properly'
                ELSE 'CSV row could not be read: ' || message END"""
            nulls = ", ".join(f"CAST(NULL AS VARCHAR) AS c{i}" for i in range(1, expected + 1))
            values = f"{nulls}, raw_text, read_error"
        # DuckDB's line numbers count every record (and, in CSV, blank lines) from 1.
        self.connection.execute(f"""
            CREATE TEMP TABLE {REJECTED} AS
            SELECT line AS rn,
                   rtrim(ltrim(csv_line, chr(10)), chr(10)) AS raw_text,
                   {reason} AS read_error
            FROM (
                SELECT line, any_value(csv_line) AS csv_line, list(DISTINCT error_type) AS types,
                       any_value(error_message) AS message,
                       max(TRY_CAST(regexp_extract(error_message, 'Found: (\\d+)', 1) AS INTEGER)) AS most,
                       min(TRY_CAST(regexp_extract(error_message, 'Found: (\\d+)', 1) AS INTEGER)) AS fewest
                FROM {REJECT_ERRORS}
                GROUP BY line
            )
        """)
        if header is None:
            self._exact_rejected_lines(source)
        # The k-th good row sits at k + (number of rejected rows r_j with r_j - j < k), j their rank.
        self.connection.execute(f"""
            CREATE TEMP TABLE {STAGE_NEXT} AS
            SELECT s.* REPLACE (s.rn + coalesce(shift.rejected_before, 0) AS rn)
            FROM {STAGE} AS s
            ASOF LEFT JOIN (
                SELECT good_before, max(rank) AS rejected_before
                FROM (SELECT rn - row_number() OVER (ORDER BY rn) AS good_before,
                             row_number() OVER (ORDER BY rn) AS rank
                      FROM {REJECTED})
                GROUP BY good_before
            ) AS shift ON s.rn > shift.good_before
            UNION ALL BY NAME
            SELECT rn, {values} FROM {REJECTED}
        """)
        self.connection.execute(f"DROP TABLE {STAGE}")
        self.connection.execute(f"ALTER TABLE {STAGE_NEXT} RENAME TO {STAGE}")

    def _exact_rejected_lines(self, source: Path) -> None:
        """DuckDB keeps at most 10,000 characters of a rejected line (and replaces bytes that are not
        UTF-8): take the refused JSONL lines from the file itself."""
        import pyarrow

        numbers = [row[0] for row in self.connection.execute(f"SELECT rn FROM {REJECTED}").fetchall()]
        exact = read_lines(source, set(numbers))
        table = pyarrow.table(
            {
                "rn": pyarrow.array(list(exact), pyarrow.int64()),
                "raw_text": [text.decode("utf-8", errors="backslashreplace") for text in exact.values()],
            }
        )
        self.connection.register("_milestones_exact_lines", table)
        try:
            self.connection.execute(f"""
                UPDATE {REJECTED} SET raw_text = exact.raw_text
                FROM _milestones_exact_lines AS exact WHERE {REJECTED}.rn = exact.rn
            """)
        finally:
            self.connection.unregister("_milestones_exact_lines")

    def _drop_trailing_blank_lines(self, placeholder: str | None) -> None:
        """Blank lines at the very end of a JSONL file are not rows (an editor's trailing newlines)."""
        last = self.connection.execute(
            f"SELECT line FROM {STAGE} WHERE rn = (SELECT max(rn) FROM {STAGE})"
        ).fetchone()
        if last is None or not _is_blank_text(last[0], placeholder):
            return
        blank = _blank_sql(_restored("line", placeholder))
        self.connection.execute(
            f"DELETE FROM {STAGE} WHERE rn > (SELECT coalesce(max(rn), 0) FROM {STAGE} WHERE NOT {blank})"
        )

    def _normalised_copy(self, landing: LandingFile) -> tuple[Path, str | None, int]:
        """A plain copy with CRLF as LF and any other CR as a placeholder character absent from the file;
        also returns the copy's number of lines."""
        target = self.scratch / f"normalised.{landing.format}"
        for placeholder in CR_PLACEHOLDERS:
            marker = placeholder.encode()
            lone_cr = clash = False
            newlines, last = 0, b"\n"
            opener = gzip.open if landing.gzipped else open
            with opener(landing.path, "rb") as source, target.open("wb") as out:
                carry = tail = b""
                while chunk := source.read(BLOCK):
                    clash = clash or marker in tail + chunk
                    tail = chunk[-(len(marker) - 1) :]
                    data = carry + chunk
                    carry = b"\r" if data.endswith(b"\r") else b""
                    data = data[: len(data) - len(carry)].replace(b"\r\n", b"\n")
                    if b"\r" in data:
                        lone_cr = True
                        data = data.replace(b"\r", marker)
                    if data:
                        out.write(data)
                        newlines += data.count(b"\n")
                        last = data[-1:]
                if carry:
                    lone_cr = True
                    out.write(marker)
                    last = marker[-1:]
            lines = newlines + (last != b"\n")
            if not lone_cr:
                return target, None, lines
            if not clash:
                return target, placeholder, lines
        raise UserError(f"cannot read {landing.name}: it holds every stand-in for a lone carriage return")

    # -- parquet ---------------------------------------------------------------------------------------

    def _stage_parquet(self, landing: LandingFile) -> Staged:
        described = self.connection.execute(
            f"DESCRIBE SELECT * FROM read_parquet({sql_literal(str(landing.path))})"
        ).fetchall()
        return StagedParquet(landing, [(row[0], row[1]) for row in described])


class StagedJsonl(Staged):
    def __init__(self, landing: LandingFile, placeholder: str | None) -> None:
        super().__init__(landing)
        self.placeholder = placeholder

    def select_sql(self, meta: LoadMeta) -> str:
        columns = RAW_TABLES[self.landing.table]
        paths = "[" + ", ".join(sql_literal("$." + _json_key(name)) for name in columns) + "]"
        data = ", ".join(f"fields[{i}] AS {sql_identifier(name)}" for i, name in enumerate(columns, start=1))
        # A JSON value that is not a string keeps its JSON text; JSON null and a missing key give NULL.
        # DuckDB's JSON reader is lenient: it reads an object with a trailing comma or a NaN / Infinity
        # value, which JSON (and PostgreSQL) does not. Such a line is not valid JSON: a cheap pattern picks
        # the candidates, and the same pattern outside string values decides.
        outside_strings = f"regexp_replace(line_text, {sql_literal(JSON_STRING)}, '\"\"', 'g')"
        return f"""
            SELECT {data}, {meta_sql(meta)}, rn AS _row_number, line_text AS _raw_record,
                CASE
                    WHEN read_error IS NOT NULL THEN read_error
                    WHEN json_kind = 'OBJECT' AND lenient IS NOT NULL
                        THEN 'line is not valid JSON (' || lenient || ')'
                    WHEN json_kind = 'OBJECT' THEN NULL
                    WHEN {_blank_sql("line_text")} THEN 'line is blank'
                    WHEN json_kind IS NULL THEN 'line is not valid JSON'
                    ELSE 'line is a JSON ' || CASE json_kind
                        WHEN 'ARRAY' THEN 'array' WHEN 'VARCHAR' THEN 'string' WHEN 'BOOLEAN' THEN 'boolean'
                        WHEN 'NULL' THEN 'null' ELSE 'number' END || ', not an object'
                END AS _load_error
            FROM (
                SELECT *,
                    CASE WHEN json_kind = 'OBJECT' AND lenient IS NULL
                        THEN json_extract_string(line_text, {paths})
                    END AS fields
                FROM (
                    SELECT *,
                        CASE WHEN json_kind = 'OBJECT'
                                AND regexp_matches(line_text, {sql_literal(LENIENT_HINT)}) THEN
                            CASE
                                WHEN regexp_matches({outside_strings}, {sql_literal(TRAILING_COMMA)})
                                    THEN 'a trailing comma'
                                WHEN regexp_matches({outside_strings}, {sql_literal(NON_FINITE)})
                                    THEN 'NaN or Infinity is not a JSON number'
                            END
                        END AS lenient
                    FROM (
                        SELECT rn, line_text, read_error,
                            CASE WHEN read_error IS NULL THEN TRY(json_type(line_text)) END AS json_kind
                        FROM (
                            SELECT rn, read_error,
                                coalesce({_restored("line", self.placeholder)}, '') AS line_text
                            FROM {STAGE}
                        )
                    )
                )
            )
        """


class StagedCsv(Staged):
    def __init__(self, landing: LandingFile, header: list[str], placeholder: str | None) -> None:
        super().__init__(landing)
        self.header = header
        self.placeholder = placeholder

    def select_sql(self, meta: LoadMeta) -> str:
        positions = _column_positions(self.header)

        def field(i: int) -> str:
            return _restored(f"c{i}", self.placeholder)

        data = ", ".join(
            (f"NULLIF({field(positions[name])}, '')" if name in positions else "CAST(NULL AS VARCHAR)")
            + f" AS {sql_identifier(name)}"
            for name in RAW_TABLES[self.landing.table]
        )
        if not self.header:
            record = "raw_text"
        else:
            keys = _unique_keys(self.header)
            pairs = ", ".join(f"{sql_literal(key)}, {field(i)}" for i, key in enumerate(keys, start=1))
            record = f"CASE WHEN read_error IS NULL THEN CAST(json_object({pairs}) AS VARCHAR) END"
        raw = f"coalesce({record}, {_restored('raw_text', self.placeholder)})"
        # Record 1 is the header.
        return f"""
            SELECT {data}, {meta_sql(meta)}, rn - 1 AS _row_number, {raw} AS _raw_record,
                read_error AS _load_error
            FROM {STAGE}
            WHERE rn > 1
        """


class StagedParquet(Staged):
    def __init__(self, landing: LandingFile, schema: list[tuple[str, str]]) -> None:
        super().__init__(landing)
        self.schema = schema

    def select_sql(self, meta: LoadMeta) -> str:
        positions = _column_positions([name for name, _ in self.schema])
        data = []
        for name in RAW_TABLES[self.landing.table]:
            if name in positions:
                source, type_name = self.schema[positions[name] - 1]
                data.append(f"{_parquet_text(sql_identifier(source), type_name)} AS {sql_identifier(name)}")
            else:
                data.append(f"CAST(NULL AS VARCHAR) AS {sql_identifier(name)}")
        pairs = ", ".join(f"{sql_literal(name)}, {sql_identifier(name)}" for name, _ in self.schema)
        record = f"CAST(json_object({pairs}) AS VARCHAR)" if pairs else "'{}'"
        return f"""
            SELECT {", ".join(data)}, {meta_sql(meta)}, file_row_number + 1 AS _row_number,
                {record} AS _raw_record, CAST(NULL AS VARCHAR) AS _load_error
            FROM read_parquet({sql_literal(str(self.landing.path))}, file_row_number = true)
        """


def read_lines(path: Path, wanted: set[int]) -> dict[int, bytes]:
    """Some lines of a file (1-based numbers, without their newline), scanning it block by block; only
    the blocks holding a wanted line are split into lines."""
    found: dict[int, bytes] = {}
    remaining = sorted(wanted)
    line, current = 1, bytearray()
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as source:
        while remaining and (chunk := source.read(BLOCK)):
            start = 0
            while remaining:
                if remaining[0] > line + chunk.count(b"\n", start):
                    line += chunk.count(b"\n", start)  # no wanted line in the rest of the block
                    break
                end = chunk.find(b"\n", start)
                if line == remaining[0]:
                    current += chunk[start : end if end >= 0 else len(chunk)]
                if end < 0:
                    break
                if line == remaining[0]:
                    found[line] = bytes(current)
                    current.clear()
                    remaining.pop(0)
                line, start = line + 1, end + 1
    if remaining and remaining[0] == line and current:
        found[line] = bytes(current)  # the last line, without a newline
    return found


def read_csv_header(path: Path) -> tuple[list[str] | None, str]:
    """The first record of a CSV file and its delimiter (comma unless the header line has none and has
    tabs, semicolons or pipes). None when the file has no content."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")
        first = text.readline()
        if not first.strip():
            rest = text.read(1 << 16)
            if rest.strip():
                raise UserError(f"{path.name}: the first line of a CSV file must be its header")
            return None, ","
        counts = {candidate: first.count(candidate) for candidate in (",", "\t", ";", "|")}
        delimiter = "," if counts[","] else max(counts, key=lambda c: counts[c])
        if not counts[delimiter]:
            delimiter = ","
        # The header may span lines only inside quotes: let the csv module read the whole record.
        text_stream = io.StringIO(first + ("" if _quotes_balanced(first) else text.read(1 << 20)))
        record = next(csv.reader(text_stream, delimiter=delimiter), [])
    return [name.strip() for name in record], delimiter


def _quotes_balanced(line: str) -> bool:
    return line.count('"') % 2 == 0


def _column_positions(names: list[str]) -> dict[str, int]:
    """Contract column -> 1-based position of the first column of that name (case-insensitive)."""
    positions: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        positions.setdefault(name.strip().lower(), i)
    return positions


def _unique_keys(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    keys = []
    for i, name in enumerate(names, start=1):
        key = name or f"column_{i}"
        if key in seen:
            seen[key] += 1
            key = f"{key}_{seen[key]}"
        seen.setdefault(key, 1)
        keys.append(key)
    return keys


def _parquet_text(column: str, type_name: str) -> str:
    """A Parquet value as text: strings as they are, nested values as JSON, anything else cast to text."""
    upper = type_name.upper()
    if upper == "VARCHAR":
        return column
    if upper.startswith(("STRUCT", "MAP", "UNION")) or upper.endswith("]"):
        return f"CAST(to_json({column}) AS VARCHAR)"
    return f"CAST({column} AS VARCHAR)"


def _json_key(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _restored(expression: str, placeholder: str | None) -> str:
    if placeholder is None:
        return expression
    return f"replace({expression}, {sql_literal(placeholder)}, chr(13))"


def _blank_sql(expression: str) -> str:
    return f"trim(coalesce({expression}, ''), ' ' || chr(9) || chr(13)) = ''"


def _is_blank_text(text: str | None, placeholder: str | None) -> bool:
    if text is None:
        return True
    if placeholder:
        text = text.replace(placeholder, "\r")
    return text.strip(" \t\r") == ""


def _first_line(error: BaseException) -> str:
    text = re.sub(r"\s+", " ", str(error).strip().split("\n\n")[0])
    return text or type(error).__name__
