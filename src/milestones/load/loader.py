"""`milestones load DIR`: every landing file of a folder into the raw layer of the target warehouse.

Files load in sorted name order, one transaction each (the rows and the file's `_loads` row together), so a
crash never leaves half a file. A file whose content (sha256) was already loaded into the same table is
skipped, whatever its name. On Spark the raw layer is Parquet files that dbt registers as tables: there a
load's `_loads` file is its commit (see _SparkSink).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from milestones import warehouse
from milestones.durable import durable_replace, fsync
from milestones.errors import UserError
from milestones.load.landing import (
    LOADS_COLUMNS,
    LOADS_TABLE,
    METADATA_COLUMNS,
    RAW_TABLES,
    LandingFile,
    discover,
    table_columns,
)
from milestones.load.meter import LoadMeter, load_meter
from milestones.load.parse import (
    Fingerprint,
    LoadMeta,
    Parser,
    Staged,
    fingerprint,
    sql_identifier,
    sql_literal,
)

ROWS = "_milestones_rows"


@dataclass
class FileResult:
    file_name: str
    table: str
    format: str
    checksum: str
    status: str  # loaded | skipped
    load_id: int | None = None  # the new load, or the earlier load of the same content
    rows: int = 0
    error_rows: int = 0
    seconds: float = 0.0


@dataclass
class LoadSummary:
    directory: Path
    target: str
    location: str
    raw_schema: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def loaded(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "loaded"]

    @property
    def skipped(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "skipped"]

    @property
    def rows_by_table(self) -> dict[str, int]:
        rows: dict[str, int] = {}
        for result in self.loaded:
            rows[result.table] = rows.get(result.table, 0) + result.rows
        return rows

    @property
    def error_rows_by_table(self) -> dict[str, int]:
        rows: dict[str, int] = {}
        for result in self.loaded:
            rows[result.table] = rows.get(result.table, 0) + result.error_rows
        return rows

    def __str__(self) -> str:
        if not self.files:
            return f"no landing files in {self.directory}"
        lines = [
            f"loaded {len(self.loaded)} file{_s(len(self.loaded))}, skipped {len(self.skipped)} "
            f"(already loaded) into {self.raw_schema} ({self.location})"
        ]
        errors = self.error_rows_by_table
        width = max((len(t) for t in self.rows_by_table), default=0)
        for table, rows in sorted(self.rows_by_table.items()):
            note = f" ({errors[table]:,} with a load error)" if errors.get(table) else ""
            lines.append(f"  {table:<{width}}  {rows:>12,} row{_s(rows)}{note}")
        for result in self.skipped:
            lines.append(f"  skipped {result.file_name}: same content as load {result.load_id}")
        return "\n".join(lines)


def load_directory(directory: Path, target: str | None = None) -> LoadSummary:
    """Load every landing file of `directory` into `<schema>_raw` of the target's warehouse."""
    directory = Path(directory)
    files = discover(directory)
    place = warehouse.resolve(target)
    summary = LoadSummary(
        directory=directory, target=place.target, location=place.describe(), raw_schema=place.raw_schema
    )
    # The raw tables exist after a load even when the folder holds no landing file (dbt reads them).
    sink = _sink(place)
    hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="milestones-sha256")
    try:
        with (
            tempfile.TemporaryDirectory(prefix="milestones-load-", dir=scratch_parent()) as scratch,
            load_meter(files, sink.duckdb) as meter,
        ):
            parser = Parser(sink.duckdb, Path(scratch))
            # One worker hashes the files in load order, ahead of the loading.
            fingerprints = [hashing.submit(_fingerprint, landing) for landing in files]
            for landing, fingerprint_future in zip(files, fingerprints, strict=True):
                summary.files.append(_load_file(sink, parser, landing, fingerprint_future, meter))
            parser.drop()
    finally:
        hashing.shutdown(wait=True, cancel_futures=True)
        sink.close()
    return summary


def _sink(place: warehouse.Warehouse) -> _Sink:
    if isinstance(place, warehouse.DuckDBWarehouse):
        return _DuckDBSink(place)
    if isinstance(place, warehouse.SparkWarehouse):
        return _SparkSink(place)
    return _PostgresSink(place)


def scratch_parent() -> str | None:
    """Where temporary copies go: MILESTONES_DUCKDB_TEMP_DIRECTORY when set, else the system's."""
    folder = os.environ.get("MILESTONES_DUCKDB_TEMP_DIRECTORY")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
    return folder or None


def _fingerprint(landing: LandingFile) -> Fingerprint:
    try:
        return fingerprint(landing.path, count_lines=landing.format == "jsonl" and not landing.gzipped)
    except OSError as error:
        raise UserError(f"cannot read {landing.name}: {error.strerror or error}") from None


def _load_file(
    sink: _Sink,
    parser: Parser,
    landing: LandingFile,
    fingerprint_future: Future[Fingerprint],
    meter: LoadMeter,
) -> FileResult:
    started = time.monotonic()
    # Skip before reading when the checksum is ready (a small file, or hashed during the previous file),
    # or worth waiting for (a file of that name was loaded before: probably a rerun).
    earlier = None
    if fingerprint_future.done() or sink.name_seen(landing.table, landing.name):
        earlier = sink.loaded_as(landing.table, fingerprint_future.result().checksum)
    staged = None
    if earlier is None:
        meter.start(landing, phase=0)
        # DuckDB reads the file while it is still being hashed.
        staged = parser.stage(landing, fingerprint_future.result)
    checksum = fingerprint_future.result().checksum
    result = FileResult(landing.name, landing.table, landing.format, checksum, status="skipped")
    if earlier is None:
        assert staged is not None
        meter.start(landing, phase=1)
        written = sink.write(landing, staged, checksum)
        if isinstance(written, int):
            result.load_id = written
        else:
            result.status = "loaded"
            result.load_id, result.rows, result.error_rows = written
    else:
        result.load_id = earlier
    result.seconds = time.monotonic() - started
    meter.finished(landing, _progress_line(result, sink.raw_schema))
    return result


def _progress_line(result: FileResult, raw_schema: str) -> str:
    if result.status == "skipped":
        line = f"load: {result.file_name}: skipped, same content as load {result.load_id}"
    else:
        errors = f", {result.error_rows:,} with a load error" if result.error_rows else ""
        rate = f", {result.rows / result.seconds:,.0f} rows/s" if result.seconds >= 1 else ""
        line = (
            f"load: {result.file_name} -> {raw_schema}.{result.table}: {result.rows:,} row{_s(result.rows)}"
            f"{errors} "
            f"in {result.seconds:.1f}s{rate} (load {result.load_id})"
        )
    return line


def _s(count: int) -> str:
    return "" if count == 1 else "s"


class _Sink:
    """Where canonical rows go. `write` returns (load_id, rows, error_rows), or the id of an earlier load
    of the same content (then nothing was written)."""

    duckdb: Any
    raw_schema: str

    def loaded_as(self, table: str, checksum: str) -> int | None:
        raise NotImplementedError

    def name_seen(self, table: str, file_name: str) -> bool:
        """Whether a file of that name was loaded into the table before (then it is probably a rerun)."""
        raise NotImplementedError

    def write(self, landing: LandingFile, staged: Staged, checksum: str) -> tuple[int, int, int] | int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def _meta(landing: LandingFile, load_id: int, checksum: str) -> LoadMeta:
    return LoadMeta(
        load_id=load_id,
        file_name=landing.name,
        file_checksum=checksum,
        loaded_at=datetime.now(UTC).replace(tzinfo=None),
    )


def _ddl(schema: str, text_type: str, timestamp_type: str) -> list[str]:
    """CREATE statements of the raw schema, its tables and `_loads` (all idempotent)."""
    types = {"text": text_type, "bigint": "BIGINT", "timestamp": timestamp_type}
    raw = sql_identifier(schema)
    statements = [f"CREATE SCHEMA IF NOT EXISTS {raw}"]
    for table, columns in RAW_TABLES.items():
        definition = [f"{sql_identifier(c)} {text_type}" for c in columns]
        definition += [f"{sql_identifier(c)} {types[t]}" for c, t in METADATA_COLUMNS]
        name = f"{raw}.{sql_identifier(table)}"
        statements.append(f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(definition)})")
    definition = [f"{sql_identifier(c)} {types[t]}" for c, t in LOADS_COLUMNS]
    statements.append(f"CREATE TABLE IF NOT EXISTS {raw}.{LOADS_TABLE} ({', '.join(definition)})")
    return statements


class _DuckDBSink(_Sink):
    """Rows straight from the staging tables into the warehouse file, in one transaction per file."""

    def __init__(self, place: warehouse.DuckDBWarehouse) -> None:
        # the loader parses and sorts whole files in DuckDB: its connection gets all of the memory limit
        self.connection = place.connect(memory_share=1.0)
        self.duckdb = self.connection
        self.raw_schema = place.raw_schema
        self.connection.execute("SET enable_progress_bar = false")
        for statement in _ddl(self.raw_schema, "VARCHAR", "TIMESTAMP"):
            self.connection.execute(statement)

    def loaded_as(self, table: str, checksum: str) -> int | None:
        row = self.connection.execute(
            f"SELECT min(load_id) FROM {sql_identifier(self.raw_schema)}.{LOADS_TABLE} "
            "WHERE table_name = ? AND file_checksum = ?",
            [table, checksum],
        ).fetchone()
        return row[0] if row else None

    def name_seen(self, table: str, file_name: str) -> bool:
        (count,) = self.connection.execute(
            f"SELECT count(*) FROM {sql_identifier(self.raw_schema)}.{LOADS_TABLE} "
            "WHERE table_name = ? AND file_name = ?",
            [table, file_name],
        ).fetchone()
        return count > 0

    def write(self, landing: LandingFile, staged: Staged, checksum: str) -> tuple[int, int, int] | int:
        raw = sql_identifier(self.raw_schema)
        table = f"{raw}.{sql_identifier(landing.table)}"
        connection = self.connection
        connection.execute("BEGIN TRANSACTION")
        try:
            earlier = self.loaded_as(landing.table, checksum)
            if earlier is not None:
                connection.execute("ROLLBACK")
                return earlier
            (last,) = connection.execute(
                f"SELECT coalesce(max(load_id), 0) FROM {raw}.{LOADS_TABLE}"
            ).fetchone()
            meta = _meta(landing, last + 1, checksum)
            columns = ", ".join(sql_identifier(c) for c in table_columns(landing.table))
            (rows,) = connection.execute(
                f"INSERT INTO {table} ({columns}) {staged.select_sql(meta)}"
            ).fetchone()
            (error_rows,) = connection.execute(
                f"SELECT count(*) FROM {table} WHERE _load_id = ? AND _load_error IS NOT NULL", [meta.load_id]
            ).fetchone()
            connection.execute(
                f"INSERT INTO {raw}.{LOADS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
                [meta.load_id, landing.name, checksum, landing.table, landing.format, rows, meta.loaded_at],
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return meta.load_id, rows, error_rows

    def close(self) -> None:
        self.connection.close()


class _PostgresSink(_Sink):
    """Parsed by an in-memory DuckDB exactly as for the DuckDB target, written to a temporary CSV file and
    streamed into PostgreSQL with COPY; `_loads` is locked while a file loads, so concurrent loaders agree
    on load ids and on what is already loaded."""

    def __init__(self, place: warehouse.PostgresWarehouse) -> None:
        import duckdb

        self.place = place
        self.raw_schema = place.raw_schema
        self.connection = place.connect()
        self.duckdb = duckdb.connect(config=warehouse.duckdb_config())
        self.duckdb.execute("SET TimeZone = 'UTC'")
        self.duckdb.execute("SET enable_progress_bar = false")
        self.scratch = tempfile.TemporaryDirectory(prefix="milestones-copy-", dir=scratch_parent())
        with self.connection.cursor() as cursor:
            for statement in _ddl(self.raw_schema, "TEXT", "TIMESTAMP"):
                cursor.execute(statement)
        self.connection.commit()

    def loaded_as(self, table: str, checksum: str) -> int | None:
        with self.connection.cursor() as cursor:
            earlier = self.loaded_as_in(cursor, table, checksum)
        self.connection.commit()
        return earlier

    def name_seen(self, table: str, file_name: str) -> bool:
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {sql_identifier(self.raw_schema)}.{LOADS_TABLE} "
                "WHERE table_name = %s AND file_name = %s",
                [table, file_name],
            )
            (count,) = cursor.fetchone()
        self.connection.commit()
        return count > 0

    def write(self, landing: LandingFile, staged: Staged, checksum: str) -> tuple[int, int, int] | int:
        import psycopg2

        raw = sql_identifier(self.raw_schema)
        columns = table_columns(landing.table)
        column_list = ", ".join(sql_identifier(c) for c in columns)
        copy_file = Path(self.scratch.name) / "rows.csv"
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {raw}.{LOADS_TABLE} IN SHARE ROW EXCLUSIVE MODE")
                earlier = self.loaded_as_in(cursor, landing.table, checksum)
                if earlier is not None:
                    self.connection.rollback()
                    return earlier
                cursor.execute(f"SELECT coalesce(max(load_id), 0) FROM {raw}.{LOADS_TABLE}")
                (last,) = cursor.fetchone()
                meta = _meta(landing, last + 1, checksum)
                self.duckdb.execute(f"CREATE OR REPLACE TEMP TABLE {ROWS} AS {staged.select_sql(meta)}")
                rows, error_rows = self.duckdb.execute(
                    f"SELECT count(*), count(_load_error) FROM {ROWS}"
                ).fetchone()
                # PostgreSQL text cannot hold NUL characters: they arrive as U+FFFD.
                text = {c for c in columns if c not in {"_load_id", "_loaded_at", "_row_number"}}
                select = ", ".join(
                    f"replace({sql_identifier(c)}, chr(0), chr(65533))" if c in text else sql_identifier(c)
                    for c in columns
                )
                self.duckdb.execute(
                    f"COPY (SELECT {select} FROM {ROWS}) TO {sql_literal(str(copy_file))} "
                    "(FORMAT csv, HEADER false)"
                )
                self.duckdb.execute(f"DROP TABLE {ROWS}")
                with copy_file.open("rb") as rows_file:
                    cursor.copy_expert(
                        f"COPY {raw}.{sql_identifier(landing.table)} ({column_list}) "
                        "FROM STDIN WITH (FORMAT csv)",
                        rows_file,
                    )
                loads_row = [meta.load_id, landing.name, checksum, landing.table, landing.format, rows]
                cursor.execute(
                    f"INSERT INTO {raw}.{LOADS_TABLE} VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [*loads_row, meta.loaded_at],
                )
            self.connection.commit()
        except psycopg2.Error as error:
            self.connection.rollback()
            message = " ".join(str(error).split())
            raise UserError(f"cannot load {landing.name} into {self.place.describe()}: {message}") from None
        except BaseException:
            self.connection.rollback()
            raise
        finally:
            copy_file.unlink(missing_ok=True)
        return meta.load_id, rows, error_rows

    def loaded_as_in(self, cursor: Any, table: str, checksum: str) -> int | None:
        cursor.execute(
            f"SELECT min(load_id) FROM {sql_identifier(self.raw_schema)}.{LOADS_TABLE} "
            "WHERE table_name = %s AND file_checksum = %s",
            [table, checksum],
        )
        row = cursor.fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self.connection.close()
        self.duckdb.close()
        self.scratch.cleanup()


# The types of the raw columns in DuckDB SQL (the Spark sink writes them to Parquet as they are).
DUCKDB_TYPES = {"text": "VARCHAR", "bigint": "BIGINT", "timestamp": "TIMESTAMP"}
# A load's file in each folder of the Spark raw layer; `.<name>.pending` while it is not yet committed
# (Spark, like Hive, skips files whose name starts with `.` or `_`).
SPARK_FILE = "load_{load_id:09d}.parquet"
SPARK_PENDING = ".{name}.pending"
SPARK_LOCK = ".lock"


class _SparkSink(_Sink):
    """Parsed by an in-memory DuckDB exactly as for the other targets and written as Parquet files that
    dbt registers as the Spark tables of `<schema>_raw` (docs/rules.md §7): no JVM here.

    `raw/<table>/` gets one file per load, with the columns and types of the DuckDB raw table, and
    `raw/_loads/` one one-row file per load. Each file is written under a hidden name first; the rename of
    the `_loads` file commits the load, then its rows are shown. A crash between the two is repaired when
    the next load starts (rows of a committed load shown, of an uncommitted one deleted), so Spark never
    reads half a file nor rows that are not in `_loads`. A lock file keeps one loader at a time."""

    def __init__(self, place: warehouse.SparkWarehouse) -> None:
        import duckdb

        self.place = place
        self.raw_schema = place.raw_schema
        self.raw_dir = place.raw_dir
        for table in (*RAW_TABLES, LOADS_TABLE):
            (self.raw_dir / table).mkdir(parents=True, exist_ok=True)
        self.lock = _lock_raw_dir(self.raw_dir / SPARK_LOCK, place)
        self.duckdb = duckdb.connect(config=warehouse.duckdb_config())
        self.duckdb.execute("SET TimeZone = 'UTC'")
        self.duckdb.execute("SET enable_progress_bar = false")
        # (load_id, file_name, file_checksum, table_name) of every committed load; this process alone
        # writes while it holds the lock, so the list stays true as it appends to it.
        self.loads: list[tuple[int, str, str, str]] = read_spark_loads(self.duckdb, self.raw_dir)
        self._recover()

    def _recover(self) -> None:
        """Finish or undo the load a crash interrupted: its rows are shown when its `_loads` file was
        committed, else deleted with any unfinished `_loads` file."""
        committed = {(load_id, table) for load_id, _, _, table in self.loads}
        for table in (*RAW_TABLES, LOADS_TABLE):
            folder = self.raw_dir / table
            for pending in folder.glob(SPARK_PENDING.format(name="load_*.parquet")):
                name = pending.name.removeprefix(".").removesuffix(".pending")
                load_id = name.removeprefix("load_").removesuffix(".parquet")
                if load_id.isdigit() and (int(load_id), table) in committed:
                    durable_replace(pending, folder / name)
                else:
                    pending.unlink()

    def loaded_as(self, table: str, checksum: str) -> int | None:
        earlier = [load_id for load_id, _, seen, name in self.loads if name == table and seen == checksum]
        return min(earlier, default=None)

    def name_seen(self, table: str, file_name: str) -> bool:
        return any(name == table and seen == file_name for _, seen, _, name in self.loads)

    def write(self, landing: LandingFile, staged: Staged, checksum: str) -> tuple[int, int, int] | int:
        earlier = self.loaded_as(landing.table, checksum)
        if earlier is not None:
            return earlier
        meta = _meta(landing, max((load[0] for load in self.loads), default=0) + 1, checksum)
        name = SPARK_FILE.format(load_id=meta.load_id)
        rows_file = self.raw_dir / landing.table / name
        rows_pending = rows_file.with_name(SPARK_PENDING.format(name=name))
        loads_file = self.raw_dir / LOADS_TABLE / name
        loads_pending = loads_file.with_name(SPARK_PENDING.format(name=name))
        try:
            rows, error_rows = self._write_rows(landing.table, staged.select_sql(meta), rows_pending)
            loads_row = [meta.load_id, landing.name, checksum, landing.table, landing.format, rows]
            self._write_loads_row([*loads_row, meta.loaded_at], loads_pending)
            fsync(rows_pending)  # both files are on disk before the commit names them
            fsync(loads_pending)
        except BaseException as error:
            rows_pending.unlink(missing_ok=True)
            loads_pending.unlink(missing_ok=True)
            if not isinstance(error, Exception):
                raise
            message = " ".join(str(error).split())
            raise UserError(f"cannot load {landing.name} into {self.place.describe()}: {message}") from None
        # The commit; should anything below fail, the next load shows the rows (_recover).
        os.replace(loads_pending, loads_file)
        self.loads.append((meta.load_id, landing.name, checksum, landing.table))
        fsync(loads_file.parent)
        durable_replace(rows_pending, rows_file)
        return meta.load_id, rows, error_rows

    def _write_rows(self, table: str, select_sql: str, path: Path) -> tuple[int, int]:
        """The canonical rows as a Parquet file, typed as the DuckDB raw table is; (rows, error rows)."""
        types = {name: "VARCHAR" for name in RAW_TABLES[table]}
        types |= {name: DUCKDB_TYPES[kind] for name, kind in METADATA_COLUMNS}
        typed = ", ".join(f"CAST({sql_identifier(c)} AS {types[c]}) AS {sql_identifier(c)}" for c in types)
        (rows,) = self.duckdb.execute(
            f"COPY (SELECT {typed} FROM ({select_sql})) TO {sql_literal(str(path))} (FORMAT parquet)"
        ).fetchone()
        (error_rows,) = self.duckdb.execute(
            f"SELECT count(_load_error) FROM read_parquet({sql_literal(str(path))})"
        ).fetchone()
        return rows, error_rows

    def _write_loads_row(self, values: list[Any], path: Path) -> None:
        columns = []
        for (name, kind), value in zip(LOADS_COLUMNS, values, strict=True):
            text = value.isoformat(sep=" ", timespec="microseconds") if isinstance(value, datetime) else value
            cast = f"CAST({sql_literal(str(text))} AS {DUCKDB_TYPES[kind]})"
            columns.append(f"{cast} AS {sql_identifier(name)}")
        select = ", ".join(columns)
        self.duckdb.execute(f"COPY (SELECT {select}) TO {sql_literal(str(path))} (FORMAT parquet)")

    def close(self) -> None:
        self.duckdb.close()
        self.lock.close()


def _lock_raw_dir(path: Path, place: warehouse.SparkWarehouse) -> Any:
    """Hold the raw layer's lock file (released when the process ends, however it ends)."""
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise UserError(
            f"the raw layer of {place.describe()} is being loaded by {holder}; run again when it has finished"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()}")
    handle.flush()
    return handle


def read_spark_loads(connection: Any, raw_dir: Path) -> list[tuple[int, str, str, str]]:
    """(load_id, file_name, file_checksum, table_name) of every load committed to a Spark raw layer."""
    files = sorted((raw_dir / LOADS_TABLE).glob(SPARK_FILE.replace("{load_id:09d}", "*")))
    if not files:
        return []
    listed = "[" + ", ".join(sql_literal(str(path)) for path in files) + "]"
    return connection.execute(
        f"SELECT load_id, file_name, file_checksum, table_name FROM read_parquet({listed}) ORDER BY load_id"
    ).fetchall()


def loaded_checksums(target: str | None = None) -> set[str]:
    """The sha256 of every file the target's raw layer has loaded (empty when nothing was loaded yet).

    Read-only: the landing sensor asks this on its first look, so that files already in the warehouse
    start nothing."""
    place = warehouse.resolve(target)
    if isinstance(place, warehouse.DuckDBWarehouse) and not place.path.exists():
        return set()
    if isinstance(place, warehouse.SparkWarehouse):
        import duckdb

        with duckdb.connect() as connection:
            return {checksum for _, _, checksum, _ in read_spark_loads(connection, place.raw_dir)}
    with warehouse.connect(target, read_only=True) as connection:
        cursor = connection.cursor()
        p = place.placeholder
        cursor.execute(
            f"SELECT count(*) FROM information_schema.tables WHERE table_schema = {p} AND table_name = {p}",
            [place.raw_schema, LOADS_TABLE],
        )
        if cursor.fetchone()[0] == 0:
            return set()
        cursor.execute(f"SELECT DISTINCT file_checksum FROM {sql_identifier(place.raw_schema)}.{LOADS_TABLE}")
        return {row[0] for row in cursor.fetchall()}
