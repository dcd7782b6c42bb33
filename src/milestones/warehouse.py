"""The warehouse behind a dbt target name, resolved from the same environment variables as
profiles.example.yml (the profile itself is never rendered).

- `duckdb` (the default): the file MILESTONES_DUCKDB_PATH (default warehouse/milestones.duckdb),
  schema `main`.
- `postgres`: MILESTONES_PG_HOST, _PORT, _USER, _PASSWORD, _DATABASE, _SCHEMA
  (defaults 127.0.0.1, 5432, postgres, '', test, milestones).
- `spark`: the folder MILESTONES_SPARK_DIR (default warehouse/spark), schema MILESTONES_SPARK_SCHEMA
  (default milestones); its raw layer is Parquet files under `raw/` that dbt registers (docs/rules.md §7).

The target defaults to MILESTONES_TARGET, else `duckdb`. The loader writes to `<schema>_raw`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from milestones.errors import ArgumentError, UserError
from milestones.paths import duckdb_path, spark_dir

TARGETS = ("duckdb", "postgres", "spark")
DEFAULT_TARGET = "duckdb"


@dataclass(frozen=True)
class DuckDBWarehouse:
    path: Path
    schema: str = "main"
    target: str = "duckdb"
    placeholder = "?"  # the DB-API parameter style of `connect`

    @property
    def raw_schema(self) -> str:
        return f"{self.schema}_raw"

    def describe(self) -> str:
        return f"duckdb {self.path}"

    def connect(self, read_only: bool = False, memory_share: float | None = None) -> Any:
        """A DuckDB connection with the settings the profile gives dbt (memory, threads, temp directory),
        but PYTHON_MEMORY_SHARE of its memory limit unless `memory_share` says otherwise (the loader)."""
        import duckdb

        if read_only and not self.path.exists():
            raise UserError(f"no warehouse at {self.path}: run `milestones load` and `milestones build`")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = duckdb.connect(
                str(self.path), read_only=read_only, config=duckdb_config(memory_share or PYTHON_MEMORY_SHARE)
            )
        except duckdb.Error as error:
            raise UserError(
                describe_lock(str(error)) or f"cannot open the warehouse {self.path}: {_first_line(error)}"
            ) from None
        connection.execute("SET TimeZone = 'UTC'")
        # a long query of a step that shows its own progress (validation, publish) draws no bar of its own
        connection.execute("SET enable_progress_bar = false")
        return connection


@dataclass(frozen=True)
class PostgresWarehouse:
    host: str
    port: int
    user: str
    password: str
    dbname: str
    schema: str
    target: str = "postgres"
    placeholder = "%s"  # the DB-API parameter style of `connect`

    @property
    def raw_schema(self) -> str:
        return f"{self.schema}_raw"

    def describe(self) -> str:
        return f"postgres {self.user}@{self.host}:{self.port}/{self.dbname}"

    def connect(self, read_only: bool = False) -> Any:
        import psycopg2

        try:
            connection = psycopg2.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                dbname=self.dbname,
                application_name="milestones",
            )
        except psycopg2.Error as error:
            raise UserError(f"cannot connect to {self.describe()}: {_first_line(error)}") from None
        if read_only:
            connection.set_session(readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        connection.commit()
        return connection


@dataclass(frozen=True)
class SparkWarehouse:
    """Local Spark: the loader writes the raw layer as Parquet files under `raw/` (no JVM), and dbt's
    on-run-start registers them as the tables of `<schema>_raw` (docs/rules.md §7).

    Outside dbt (validation, publish, export, report, the delivery record) the tables are read as what
    they are, Parquet folders, through DuckDB: `connect` gives a DuckDB connection with one view per
    table, so those steps start no JVM and hold no lock on Spark's metastore."""

    directory: Path
    schema: str = "milestones"
    target: str = "spark"
    placeholder = "?"  # the DB-API parameter style of `connect` (DuckDB's)

    @property
    def raw_schema(self) -> str:
        return f"{self.schema}_raw"

    @property
    def raw_dir(self) -> Path:
        """One folder per raw table (and `_loads`), each holding one Parquet file per load."""
        return self.directory / "raw"

    @property
    def tables_dir(self) -> Path:
        """Spark's warehouse folder (profiles.example.yml): `<database>.db/<table>/` per table."""
        return self.directory / "tables"

    def describe(self) -> str:
        return f"spark {self.directory}"

    def connect(self, read_only: bool = False) -> Any:
        """An in-memory DuckDB connection whose views are the Spark tables (read only, whatever asked).
        After a first load and before the first build there are raw tables only: the build's own checks
        (landing freshness, what changed) read them."""
        import duckdb

        if not self.tables_dir.is_dir() and not self.raw_dir.is_dir():
            raise UserError(
                f"no Spark tables in {self.directory}: run `milestones load` and `milestones build` "
                "with --target spark"
            )
        connection = duckdb.connect(":memory:", config=duckdb_config(PYTHON_MEMORY_SHARE))
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute("SET enable_progress_bar = false")
        self.create_views(connection, "memory")
        return connection

    def create_views(self, connection: Any, catalog: str) -> None:
        """One view in `catalog` per Spark table (schema `<database>`) and per raw table (`<schema>_raw`)."""
        folders = [
            (database.name.removesuffix(".db"), table)
            for database in sorted(self.tables_dir.glob("*.db"))
            for table in sorted(database.iterdir())
            if table.is_dir() and not table.name.endswith(SPARK_WORK_SUFFIXES)
        ]
        folders += [(self.raw_schema, table) for table in sorted(self.raw_dir.glob("*")) if table.is_dir()]
        for schema, folder in folders:
            files = "load_*.parquet" if folder.parent == self.raw_dir else "**/*.parquet"
            if not any(folder.glob(files)):
                continue  # a raw table no load has reached yet
            connection.execute(f'create schema if not exists "{catalog}"."{schema}"')
            source = f"{_literal(str(folder / files))}, hive_partitioning = true, union_by_name = true"
            connection.execute(
                f'create or replace view "{catalog}"."{schema}"."{folder.name}"'
                f" as select * from read_parquet({source})"
            )

    def append_row(self, schema: str, table: str, row: dict[str, tuple[Any, str]]) -> None:
        """Adds one row (column: (value, SQL type)) to a table only this project's Python writes, as a
        Parquet file of its own under the Spark warehouse folder, where `connect` reads it."""
        import duckdb

        from milestones.durable import durable_replace

        folder = self.tables_dir / f"{schema}.db" / table
        folder.mkdir(parents=True, exist_ok=True)
        name = f"row_{time.time_ns():020d}.parquet"
        pending = folder / f".{name}.tmp"
        values = ", ".join(f"cast(? as {sql_type}) as {column}" for column, (_, sql_type) in row.items())
        with duckdb.connect(":memory:") as connection:
            connection.execute(
                f"copy (select {values}) to {_literal(str(pending))} (format parquet)",
                [value for value, _ in row.values()],
            )
        durable_replace(pending, folder / name)


Warehouse = DuckDBWarehouse | PostgresWarehouse | SparkWarehouse


def target_name(target: str | None = None) -> str:
    """The dbt target: the argument, else MILESTONES_TARGET, else `duckdb`."""
    name = target or os.environ.get("MILESTONES_TARGET") or DEFAULT_TARGET
    if name not in TARGETS:
        raise ArgumentError(f"unknown target {name!r}: expected one of {', '.join(TARGETS)}")
    return name


def resolve(target: str | None = None) -> Warehouse:
    """The warehouse of a dbt target name (None: MILESTONES_TARGET, else duckdb)."""
    name = target_name(target)
    if name == "duckdb":
        return DuckDBWarehouse(path=duckdb_path())
    if name == "spark":
        return SparkWarehouse(
            directory=spark_dir(), schema=os.environ.get("MILESTONES_SPARK_SCHEMA", "milestones")
        )
    port_text = os.environ.get("MILESTONES_PG_PORT", "5432")
    try:
        port = int(port_text)
    except ValueError:
        raise ArgumentError(f"MILESTONES_PG_PORT is not a port number: {port_text!r}") from None
    return PostgresWarehouse(
        host=os.environ.get("MILESTONES_PG_HOST", "127.0.0.1"),
        port=port,
        user=os.environ.get("MILESTONES_PG_USER", "postgres"),
        password=os.environ.get("MILESTONES_PG_PASSWORD", ""),
        dbname=os.environ.get("MILESTONES_PG_DATABASE", "test"),
        schema=os.environ.get("MILESTONES_PG_SCHEMA", "milestones"),
    )


@contextmanager
def connect(target: str | None = None, read_only: bool = False) -> Iterator[Any]:
    """A DB-API connection to the target's warehouse (DuckDB or psycopg2), closed on exit (not for
    spark: see SparkWarehouse.connect)."""
    connection = resolve(target).connect(read_only=read_only)
    try:
        yield connection
    finally:
        connection.close()


# DuckDB's memory_limit when MILESTONES_DUCKDB_MEMORY_LIMIT is unset, for dbt (profiles.example.yml holds
# the same value; a test pins the two) and every Python connection: a 10M-event build stays under 4 GiB,
# and measured no slower than with 8GB (docs/performance.md)
DEFAULT_MEMORY_LIMIT = "3.5GB"
# The share of memory_limit a connection of this project's own Python gets (validation, publish, status
# reads), against all of it for dbt and the loader: such a connection lives in a process that also holds
# dataframes and Great Expectations, and reading 90M rows filled a whole limit with cached blocks, so
# `milestones build` itself peaked above the limit (docs/performance.md, 100M events).
PYTHON_MEMORY_SHARE = 0.5
# The share dbt's DuckDB gets, through the profile's MILESTONES_DBT_MEMORY_LIMIT (set by
# build.dbt.prepare_environment): the rest is dbt's own Python and what DuckDB allocates outside its
# buffer pool. With the whole limit, dbt's process peaked at 4.28 to 4.61 GiB under a 4GB limit
# (3.73 GiB) in the 100M full build (docs/performance.md).
DBT_MEMORY_SHARE = 0.8
# the variable that carries it: the profile reads it first, then MILESTONES_DUCKDB_MEMORY_LIMIT
DBT_MEMORY_LIMIT_ENV = "MILESTONES_DBT_MEMORY_LIMIT"


def duckdb_config(memory_share: float = 1.0) -> dict[str, str]:
    """DuckDB settings from the environment variables the dbt profile reads: the memory limit always (its
    default is the profile's; `memory_share` of it where it can be read as a size), the others only
    when set."""
    config = {"memory_limit": DEFAULT_MEMORY_LIMIT}
    for variable, setting in (
        ("MILESTONES_DUCKDB_MEMORY_LIMIT", "memory_limit"),
        ("MILESTONES_DUCKDB_THREADS", "threads"),
        ("MILESTONES_DUCKDB_TEMP_DIRECTORY", "temp_directory"),
    ):
        value = os.environ.get(variable)
        if value:
            config[setting] = value
    if memory_share != 1.0:
        try:
            limit = parse_size(config["memory_limit"])
        except ValueError:  # a setting DuckDB reads and this does not: DuckDB is left to judge it
            return config
        config["memory_limit"] = f"{max(1, int(limit * memory_share) // 1024**2)}MiB"
    return config


def parse_size(text: str) -> int:
    """A DuckDB memory size ('4GB', '512MiB', '2.5 GB') in bytes; DuckDB reads KB/MB/GB as powers of 1000
    and KiB/MiB/GiB as powers of 1024."""
    units = {
        "b": 1,
        "kb": 1000,
        "mb": 1000**2,
        "gb": 1000**3,
        "tb": 1000**4,
        "kib": 1024,
        "mib": 1024**2,
        "gib": 1024**3,
        "tib": 1024**4,
        "k": 1000,
        "m": 1000**2,
        "g": 1000**3,
        "t": 1000**4,
    }
    cleaned = text.strip().lower().replace(" ", "")
    number = cleaned.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = cleaned[len(number) :] or "b"
    if unit not in units or not number:
        raise ValueError(f"not a memory size: {text!r}")
    return int(float(number) * units[unit])


def append_record(warehouse: Warehouse, schema: str, table: str, row: dict[str, tuple[Any, str]]) -> None:
    """Adds one row (column: (value, SQL type)) to a small table only this project's Python writes (the
    delivery and validation records), made with its schema on first use."""
    if isinstance(warehouse, SparkWarehouse):  # Spark's tables are Parquet folders: a file per row
        warehouse.append_row(schema, table, row)
        return
    connection = warehouse.connect(read_only=False)
    try:
        cursor = connection.cursor()
        columns = ", ".join(row)
        cursor.execute(f"create schema if not exists {schema}")
        definitions = ", ".join(f"{column} {sql_type}" for column, (_, sql_type) in row.items())
        cursor.execute(f"create table if not exists {schema}.{table} ({definitions})")
        values = ", ".join(warehouse.placeholder for _ in row)
        cursor.execute(
            f"insert into {schema}.{table} ({columns}) values ({values})",
            [value for value, _ in row.values()],
        )
        cursor.close()
        connection.commit()
    finally:
        connection.close()


def latest_record(warehouse: Warehouse, schema: str, table: str, order_by: str) -> dict[str, Any] | None:
    """The last row (by `order_by`) of a table `append_record` writes; None before the first one."""
    if isinstance(warehouse, DuckDBWarehouse) and not warehouse.path.exists():
        return None
    if isinstance(warehouse, SparkWarehouse) and not (
        warehouse.tables_dir.is_dir() or warehouse.raw_dir.is_dir()
    ):
        return None
    connection = warehouse.connect(read_only=True)
    try:
        cursor = connection.cursor()
        p = warehouse.placeholder
        where = f"table_schema = {p} and table_name = {p}"
        cursor.execute(f"select count(*) from information_schema.tables where {where}", [schema, table])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(f"select * from {schema}.{table} order by {order_by} desc limit 1")
        names = [description[0] for description in cursor.description]
        found = cursor.fetchone()
        cursor.close()
    finally:
        connection.close()
    return dict(zip(names, found, strict=True)) if found else None


# folders Spark and the project's incremental strategies work in, not tables (macros/spark/)
SPARK_WORK_SUFFIXES = ("__dbt_tmp", "__dbt_stage")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# DuckDB's error when another process holds the file names the file, the holder's program and its PID
_LOCK = re.compile(
    r'lock on file "(?P<path>[^"]+)": Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)'
)
MAX_COMMAND_LINE = 120


def describe_lock(error_text: str) -> str | None:
    """'the warehouse F is locked: held by process N (its command line)', when `error_text` is DuckDB's
    conflicting-lock error (a DuckDB file has one writer, or any number of readers, at a time)."""
    found = _LOCK.search(error_text)
    if not found:
        return None
    holder = _command_line(int(found["pid"])) or found["program"]
    return (
        f"the warehouse {found['path']} is locked: held by process {found['pid']} ({holder}); "
        "run again when it has finished"
    )


def _command_line(pid: int) -> str | None:
    """The process's command line from /proc (Linux), shortened to one readable line."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    text = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    text = " ".join(text.split())
    return text[: MAX_COMMAND_LINE - 3] + "..." if len(text) > MAX_COMMAND_LINE else text or None
