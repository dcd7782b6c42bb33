"""`make dev`: the Dagster UI and daemon with a persistent home, stopped cleanly on Ctrl-C.

`dagster dev` without DAGSTER_HOME makes a temporary home in the current folder, so the landing
sensor forgets its cursor on every start. Here the home is `.dagster_home/` in the project (ignored
by git; MILESTONES_DAGSTER_HOME names another) with the project's dagster.yaml copied in. Dagster
runs in a process group of its own: Ctrl-C or SIGTERM is passed on to the whole group, and whatever
is still alive after a grace period is killed, so no webserver, daemon or code server outlives it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from milestones import paths

GRACE_SECONDS = 20


def dagster_home() -> Path:
    home = Path(os.environ.get("MILESTONES_DAGSTER_HOME", paths.PROJECT_DIR / ".dagster_home")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(paths.PROJECT_DIR / "dagster.yaml", home / "dagster.yaml")
    return home


def stop_group(process: subprocess.Popen, grace: float = GRACE_SECONDS) -> None:
    """SIGINT to the group (what Ctrl-C sends), SIGKILL to what is left after `grace` seconds."""
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if process.poll() is not None and not _group_alive(process.pid):
                return
            time.sleep(0.2)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make dev", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address of the UI (default: %(default)s)")
    parser.add_argument("--port", type=int, default=3000, help="port of the UI (default: %(default)s)")
    args = parser.parse_args(argv)
    environment = {**os.environ, "DAGSTER_HOME": str(dagster_home())}
    command = [str(Path(sys.executable).with_name("dagster")), "dev", "-h", args.host, "-p", str(args.port)]
    process = subprocess.Popen(command, cwd=paths.PROJECT_DIR, env=environment, start_new_session=True)
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            print(f"\nstopping Dagster (up to {GRACE_SECONDS} s)...", file=sys.stderr, flush=True)
            stop_group(process)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = process.wait()
    if not stopping:  # dagster dev ended by itself: leave no child behind either
        stop_group(process, grace=5.0)
    return 0 if stopping else code


if __name__ == "__main__":
    sys.exit(main())
