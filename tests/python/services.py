"""The outside programs some tests need: a PostgreSQL server and headless Chromium.

PostgreSQL: the server that MILESTONES_PG_HOST/PORT name (default 127.0.0.1:5432, user postgres,
database test) when it answers; otherwise a throwaway server started from the installed binaries
(initdb, pg_ctl) in a temporary folder on a free port, stopped at the end of the session. When
neither is possible the PostgreSQL tests are skipped with one loud line, except on CI (CI=true),
where a missing server fails the run. Chromium likewise: skipped with one line, failed on CI.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ON_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_HINT = (
    "start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth, database test), or set "
    "MILESTONES_PG_HOST/PORT/USER/DATABASE, or install its server binaries (initdb, pg_ctl)"
)
CHROMIUM_HINT = "install headless Chromium: apt-get install chromium (or `make system-deps` as root)"


@dataclass
class Postgres:
    host: str
    port: int
    user: str
    dbname: str
    stop: object = None  # a callable that stops a throwaway server

    def connect_args(self) -> dict[str, object]:
        return {"host": self.host, "port": self.port, "user": self.user, "dbname": self.dbname}

    def environment(self) -> dict[str, str]:
        """What the dbt profile and the loader read."""
        return {
            "MILESTONES_PG_HOST": self.host,
            "MILESTONES_PG_PORT": str(self.port),
            "MILESTONES_PG_USER": self.user,
            "MILESTONES_PG_PASSWORD": "",
            "MILESTONES_PG_DATABASE": self.dbname,
        }


def configured_postgres() -> Postgres:
    return Postgres(
        host=os.environ.get("MILESTONES_PG_HOST", "127.0.0.1"),
        port=int(os.environ.get("MILESTONES_PG_PORT", "5432")),
        user=os.environ.get("MILESTONES_PG_USER", "postgres"),
        dbname=os.environ.get("MILESTONES_PG_DATABASE", "test"),
    )


def answers(server: Postgres) -> bool:
    import psycopg2

    try:
        psycopg2.connect(connect_timeout=3, **server.connect_args()).close()
    except psycopg2.OperationalError:
        return False
    return True


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_throwaway_postgres() -> Postgres | None:
    """initdb + pg_ctl in a temporary folder, trust auth on 127.0.0.1 only; None when not possible.
    PostgreSQL refuses to run as root: as root, the folder is given to the `postgres` user."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        return None
    folder = Path(tempfile.mkdtemp(prefix="milestones_pg_"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        if (
            shutil.which("runuser") is None
            or subprocess.run(["id", "postgres"], capture_output=True).returncode
        ):
            return None
        shutil.chown(folder, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()
    steps = [
        [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"],
        [pg_ctl, "-D", str(data), "-l", str(folder / "server.log"), "-w", "-o",
         f"-h 127.0.0.1 -p {port} -k {folder} -F", "start"],
    ]  # fmt: skip
    for step in steps:
        if subprocess.run(prefix + step, capture_output=True, cwd=folder).returncode != 0:
            return None
    server = Postgres("127.0.0.1", port, "postgres", "test")
    import psycopg2

    connection = psycopg2.connect(host=server.host, port=port, user="postgres", dbname="postgres")
    connection.autocommit = True
    connection.cursor().execute("create database test")
    connection.close()

    def stop() -> None:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)

    server.stop = stop
    return server


def find_postgres() -> Postgres | None:
    """The configured server when it answers, else a throwaway one, else None."""
    server = configured_postgres()
    if answers(server):
        return server
    return start_throwaway_postgres()


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")
