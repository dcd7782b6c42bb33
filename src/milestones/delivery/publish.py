"""Safe reads for BI tools: after a green build, copy the marts into a separate serving DuckDB file.

A BI tool that opens the build's own warehouse file collides with the build: DuckDB lets one process
write a file, and readers in other processes are refused while it does. So BI tools read a serving
file instead, which only this module writes, and only like this:

1. build a complete new file beside the serving file (same folder, so the rename below stays on one
   file system): the warehouse is ATTACHed read-only and every table and view of the marts and
   snapshots schemas is copied as a table with `create table ... as select` (a view such as fct_events
   is materialised: the serving file stands alone), plus a manifest (schema `serving_manifest`).
   A table with a `load_id` column (fct_events) is not copied again: the new file starts as a copy
   of the last one, and only the loads whose rows differ (by count and a hash of every column, load
   by load) are rewritten: on a day of new events, the new load. Copying fct_events whole was most
   of a daily build's publish (8 s at 10M events);
2. checkpoint and close it, fsync it;
3. `os.replace` it over the serving file (atomic on POSIX) and fsync the folder.

A reader therefore opens either the previous complete file or the new complete file, never a mixture
and never a lock: a reader that has the old file open keeps reading the old inode until it reconnects.
Nothing is published when the build fails (build.py calls `publish` only after a green build), and a
publish that fails midway deletes its temporary file and leaves the last good serving file in place.

Compatibility: BI tools embed their own, often older, DuckDB (Metabase's DuckDB driver, duckdb-engine
under Superset, Evidence's DuckDB connector). The serving file is written with DuckDB's storage
version SERVING_STORAGE_VERSION (v1.0.0), which every DuckDB from 1.0.0 on reads; the warehouse
itself keeps the running DuckDB's newest storage format.

On PostgreSQL there is nothing to do: readers never block on writers there (MVCC) and dbt swaps each
rebuilt table in within a transaction, so `publish` returns None. On Spark the serving file is
written the same way, from the Parquet tables of the green build: a Spark rebuild replaces each
table's files in place, which a reader could see half done.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from milestones import paths
from milestones.durable import fsync
from milestones.errors import UserError
from milestones.progress import track
from milestones.warehouse import (
    PYTHON_MEMORY_SHARE,
    DuckDBWarehouse,
    PostgresWarehouse,
    SparkWarehouse,
    duckdb_config,
    resolve,
)

SERVING_STORAGE_VERSION = "v1.0.0"
# The schemas a BI tool reads, relative to the dbt target schema (`main` on DuckDB).
SERVED_SCHEMA_SUFFIXES = ("marts", "snapshots")
MANIFEST_SCHEMA = "serving_manifest"


# the column by which a served table is brought up to date instead of copied whole
LOAD_COLUMN = "load_id"
COPIED = "copied"
UPDATED = "updated by load"


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    name: str
    rows: int
    written_as: str = COPIED
    loads_rewritten: int | None = None  # of a table updated by load


def serving_path() -> Path:
    """MILESTONES_SERVING_PATH, else serving.duckdb beside the warehouse file (warehouse/serving.duckdb)."""
    configured = os.environ.get("MILESTONES_SERVING_PATH")
    if configured:
        return Path(configured).resolve()
    return paths.duckdb_path().parent / "serving.duckdb"


def publish(target: str | None = None, serving: Path | None = None) -> Path | None:
    """Copy the marts of a green build into the serving file atomically; return its path.

    Returns None on PostgreSQL (readers are never blocked there; nothing to publish).
    """
    warehouse = resolve(target)
    if isinstance(warehouse, PostgresWarehouse):
        _say(f"{warehouse.describe()} serves readers itself (MVCC): nothing to publish")
        return None
    if isinstance(warehouse, DuckDBWarehouse) and not warehouse.path.exists():
        raise UserError(f"no warehouse at {warehouse.path}: run `milestones build` first")
    destination = (serving or serving_path()).resolve()
    destination.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(destination.with_name(destination.name + ".lock")):
        temporary = destination.with_name(f".{destination.name}.{uuid.uuid4().hex}.tmp")
        try:
            tables = _write_serving_file(warehouse, temporary, destination)
            fsync(temporary)
            _remove_stale_wal(destination)
            os.replace(temporary, destination)
            fsync(destination.parent)
        finally:
            for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
    rows = sum(table.rows for table in tables)
    updated = sum(table.written_as == UPDATED for table in tables)
    _say(
        f"published {len(tables)} tables ({rows} rows; {updated} updated by load, the rest copied) to "
        f"{destination}, storage {SERVING_STORAGE_VERSION}"
    )
    return destination


def _write_serving_file(
    warehouse: DuckDBWarehouse | SparkWarehouse, temporary: Path, previous: Path
) -> list[PublishedTable]:
    import duckdb

    connection = duckdb.connect(":memory:", config=duckdb_config(PYTHON_MEMORY_SHARE))
    try:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute("set enable_progress_bar = false")
        if isinstance(warehouse, SparkWarehouse):  # its Parquet tables, as views (SparkWarehouse)
            connection.execute("attach ':memory:' as source")
            warehouse.create_views(connection, "source")
        else:
            connection.execute(f"attach {_literal(str(warehouse.path))} as source (read_only)")
        carried = _attach_serving(connection, temporary, previous)
        schemas = [f"{warehouse.schema}_{suffix}" for suffix in SERVED_SCHEMA_SUFFIXES]
        listed = connection.execute(
            f"""
            select table_schema, table_name
            from information_schema.tables
            where table_catalog = 'source'
              and table_schema in ({", ".join("?" for _ in schemas)})
              and table_type in ('BASE TABLE', 'VIEW')
            order by table_schema, table_name
            """,
            schemas,
        ).fetchall()
        if not any(schema == f"{warehouse.schema}_marts" for schema, _ in listed):
            raise UserError(f"{warehouse.describe()} has no marts: run `milestones build` first")
        published: list[PublishedTable] = []
        connection.execute("begin transaction")
        kept = _keep_updatable(connection, listed) if carried else {}
        for schema in sorted({schema for schema, _ in listed}):
            connection.execute(f"create schema if not exists serving.{_identifier(schema)}")
        # on a terminal a bar of the tables copied; elsewhere the closing line says it all
        for schema, name in track(listed, "publish", unit="tables", plain=False):
            relation = f"{_identifier(schema)}.{_identifier(name)}"
            kept_columns = kept.get((schema, name))
            rewritten = _update_by_load(connection, relation, kept_columns) if kept_columns else None
            if rewritten is None:
                connection.execute(f"drop table if exists serving.{relation}")
                connection.execute(f"create table serving.{relation} as select * from source.{relation}")
            _copy_comments(connection, schema, name)
            (rows,) = connection.execute(f"select count(*) from serving.{relation}").fetchone()
            written_as = COPIED if rewritten is None else UPDATED
            published.append(PublishedTable(schema, name, rows, written_as, rewritten))
        _write_manifest(connection, warehouse, published)
        connection.execute("commit")
        connection.execute("checkpoint serving")
        connection.execute("detach serving")
        connection.execute("detach source")
    finally:
        connection.close()
    return published


def _attach_serving(connection: Any, temporary: Path, previous: Path) -> bool:
    """Attach the new file as `serving`: a copy of the last serving file when there is one in the
    serving format (True), else an empty file (False)."""
    import duckdb

    if previous.exists():
        try:
            shutil.copyfile(previous, temporary)
            connection.execute(f"attach {_literal(str(temporary))} as serving")
            (tags,) = connection.execute(
                "select tags from duckdb_databases() where database_name = 'serving'"
            ).fetchone()
            if str(tags.get("storage_version", "")).startswith(SERVING_STORAGE_VERSION):
                return True
            connection.execute("detach serving")
        except (OSError, duckdb.Error):  # unreadable: a new file, as if there had been none
            with contextlib.suppress(duckdb.Error):
                connection.execute("detach serving")
        temporary.unlink(missing_ok=True)
    connection.execute(
        f"attach {_literal(str(temporary))} as serving (storage_version {_literal(SERVING_STORAGE_VERSION)})"
    )
    return False


def _keep_updatable(connection: Any, listed: list[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """In the copy of the last serving file, keep the tables that can be brought up to date by load (a
    `load_id` column and the same columns as the mart now) and drop everything else, the manifest too.
    Returns the column names of each table kept."""
    columns = """
        select
            table_schema,
            table_name,
            list(column_name order by ordinal_position),
            list(data_type order by ordinal_position)
        from information_schema.columns where table_catalog = ? group by all
    """
    source = {
        (schema, name): (names, types)
        for schema, name, names, types in connection.execute(columns, ["source"]).fetchall()
    }
    served = {
        (schema, name): (names, types)
        for schema, name, names, types in connection.execute(columns, ["serving"]).fetchall()
    }
    kept = {
        key: served[key][0]
        for key in set(listed) & set(served)
        if served[key] == source.get(key) and LOAD_COLUMN in served[key][0]
    }
    for schema, name in sorted(set(served) - set(kept)):
        connection.execute(f"drop table serving.{_identifier(schema)}.{_identifier(name)}")
    for schema in {schema for schema, _ in served} - {schema for schema, _ in listed} - {MANIFEST_SCHEMA}:
        connection.execute(f"drop schema serving.{_identifier(schema)}")
    return kept


def _update_by_load(connection: Any, relation: str, columns: list[str]) -> int | None:
    """Rewrite the loads of `relation` whose rows differ between the warehouse and the copy of the last
    serving file (row count and the sum of a hash of every column, load by load); return how many.
    None, and nothing written, when a load id is null: then the table is copied whole."""
    row_hash = "hash(" + ", ".join(_identifier(column) for column in columns) + ")"

    def by_load(table: str) -> str:
        measures = f"count(*) as row_count, sum({row_hash}) as row_hash"
        return f"select {LOAD_COLUMN}, {measures} from {table} group by all"

    changed = connection.execute(
        f"""
        select coalesce(fresh.{LOAD_COLUMN}, kept.{LOAD_COLUMN}) as {LOAD_COLUMN}
        from ({by_load(f"source.{relation}")}) as fresh
        full outer join ({by_load(f"serving.{relation}")}) as kept
            on fresh.{LOAD_COLUMN} = kept.{LOAD_COLUMN}
        where
            fresh.row_count is distinct from kept.row_count
            or fresh.row_hash is distinct from kept.row_hash
        """
    ).fetchall()
    loads = [load for (load,) in changed]
    if None in loads:
        return None
    if loads:
        in_loads = f"{LOAD_COLUMN} in ({', '.join('?' for _ in loads)})"
        connection.execute(f"delete from serving.{relation} where {in_loads}", loads)
        connection.execute(
            f"insert into serving.{relation} select * from source.{relation} where {in_loads}", loads
        )
    return len(loads)


def _copy_comments(connection: Any, schema: str, name: str) -> None:
    # the descriptions dbt persisted (persist_docs in dbt_project.yml) travel with the table, so a
    # BI tool reading the serving file shows them; a view's are read from duckdb_views()
    relation = f"serving.{_identifier(schema)}.{_identifier(name)}"
    where = "database_name = 'source' and schema_name = ? and {0} = ? and comment is not null"
    for (comment,) in connection.execute(
        f"select comment from duckdb_tables() where {where.format('table_name')}"
        f" union all select comment from duckdb_views() where {where.format('view_name')}",
        [schema, name, schema, name],
    ).fetchall():
        connection.execute(f"comment on table {relation} is {_literal(comment)}")
    for column, comment in connection.execute(
        f"select column_name, comment from duckdb_columns() where {where.format('table_name')}",
        [schema, name],
    ).fetchall():
        connection.execute(f"comment on column {relation}.{_identifier(column)} is {_literal(comment)}")


def _write_manifest(
    connection: Any, warehouse: DuckDBWarehouse | SparkWarehouse, published: list[PublishedTable]
) -> None:
    """serving_manifest.publication (one row) and .published_tables: what readers check counts against."""
    import duckdb

    marts = f"{warehouse.schema}_marts"
    as_of = None
    # read only when published: a failed read would abort the transaction the whole file is written in
    if any((table.schema, table.name) == (marts, "dim_account_milestone_status") for table in published):
        (as_of,) = connection.execute(
            f"select max(as_of_date) from source.{marts}.dim_account_milestone_status"
        ).fetchone()
    connection.execute(f"create schema if not exists serving.{MANIFEST_SCHEMA}")
    connection.execute(
        f"""
        create table serving.{MANIFEST_SCHEMA}.publication as
        select
            cast(? as varchar) as publication_id,
            cast(? as timestamp) as published_at,
            cast(? as date) as as_of_date,
            cast(? as varchar) as source_path,
            cast(? as varchar) as written_by_duckdb,
            cast(? as varchar) as storage_version,
            cast(? as integer) as tables_published
        """,
        [
            uuid.uuid4().hex,
            datetime.now(UTC).replace(tzinfo=None),
            as_of,
            str(warehouse.path if isinstance(warehouse, DuckDBWarehouse) else warehouse.directory),
            duckdb.__version__,
            SERVING_STORAGE_VERSION,
            len(published),
        ],
    )
    connection.execute(
        f"""
        create table serving.{MANIFEST_SCHEMA}.published_tables (
            table_schema varchar, table_name varchar, row_count bigint, written_as varchar,
            loads_rewritten bigint
        )
        """
    )
    if published:
        connection.executemany(
            f"insert into serving.{MANIFEST_SCHEMA}.published_tables values (?, ?, ?, ?, ?)",
            [
                [table.schema, table.name, table.rows, table.written_as, table.loads_rewritten]
                for table in published
            ],
        )


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One publish at a time per serving file (a second one waits for the first)."""
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_stale_wal(destination: Path) -> None:
    """A WAL beside the serving file belongs to the old file (someone opened it writable), never the new."""
    with contextlib.suppress(FileNotFoundError):
        destination.with_name(destination.name + ".wal").unlink()


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _say(message: str) -> None:
    sys.stderr.write(f"milestones publish: {message}\n")
