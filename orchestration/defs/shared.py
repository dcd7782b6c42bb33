"""What the integrations of the code location share: the warehouse pool, job tags, transient errors."""

from __future__ import annotations

import re

import dagster as dg

# Every step that opens the warehouse (load, dbt build, validation) is in this pool. The instance
# config (dagster.yaml at the repository root) limits the pool to 1 at run granularity: only one run
# that touches the DuckDB file is in progress at a time; the others wait in the queue.
WAREHOUSE_POOL = "milestones_warehouse"

BUILD_JOB_NAME = "build_warehouse"

# Run retries (dagster.yaml `run_retries`) re-run a run whose run worker crashed; step failures are
# retried by the steps themselves, and only when transient (see `retry_if_transient`).
RUN_TAGS = {
    "dagster/max_retries": "2",
    "dagster/retry_on_asset_or_op_failure": "false",
}

# Errors worth another try: the DuckDB file locked by another process, a PostgreSQL server that is
# restarting or unreachable for a moment.
TRANSIENT_PATTERNS = (
    r"could not set lock on file",
    r"conflicting lock is held",
    r"database is locked",
    r"could not connect to server",
    r"connection refused",
    r"server closed the connection unexpectedly",
    r"the database system is (starting up|shutting down)",
    r"terminating connection due to administrator command",
)
_TRANSIENT = re.compile("|".join(TRANSIENT_PATTERNS), re.IGNORECASE)

STEP_RETRIES = 3
STEP_RETRY_SECONDS = 30


def is_transient(message: str) -> bool:
    """True for an error message that another try may not see (a lock or a dropped connection)."""
    return bool(_TRANSIENT.search(message or ""))


def retry_if_transient(error: BaseException) -> None:
    """Raise RetryRequested (up to STEP_RETRIES times, STEP_RETRY_SECONDS apart) for a transient
    error; return otherwise, so that the caller re-raises the error as it is."""
    if is_transient(str(error)):
        raise dg.RetryRequested(max_retries=STEP_RETRIES, seconds_to_wait=STEP_RETRY_SECONDS) from error
