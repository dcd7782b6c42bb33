"""dbt-duckdb keeps its DuckDB database open in the process after `dbtRunner().invoke` returns.

While it does, nothing else in the same process can open the warehouse file with other settings
("Can't open a connection to same database file with a different configuration", or "Unique file
handle conflict" on ATTACH), and no other process can open it at all (DuckDB's file lock). The steps
that run after a build in the same process (publish, export, report) call `release_dbt_duckdb` first.
"""

from __future__ import annotations

import gc
import sys


def release_dbt_duckdb() -> None:
    """Close the DuckDB environment a finished in-process dbt invocation left open (no-op otherwise)."""
    connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if connections is None:
        return
    manager = connections.DuckDBConnectionManager
    with manager._LOCK:
        environment = manager._ENV
        manager._ENV = None
    if environment is not None:
        environment.close()
    # the last cursor references go with their owners; the database closes when none is left
    gc.collect()
