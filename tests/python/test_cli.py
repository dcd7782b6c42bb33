"""The console script's surface: bad arguments give one line and exit code 2 (spec section 2)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from milestones.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["build", "--as-of", "2026-13-01"],
        ["generate", "--accounts", "0", "--days", "10", "--seed", "1", "--out", "x"],
        ["generate", "--accounts", "5", "--days", "10", "--seed", "1", "--out", "x", "--dirty-rate", "1.5"],
        ["nonsense"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    error_lines = capsys.readouterr().err.strip().splitlines()
    assert len(error_lines) == 1
    assert error_lines[0].startswith("milestones")


def test_console_script_is_installed() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "milestones.cli", "build", "--as-of", "yesterday"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert "not a date" in completed.stderr
