"""The console script's surface: bad arguments give one line and exit code 2 (docs/rules.md §2), and
every command explains itself in its --help."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from milestones.cli import build_parser, main


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


def _commands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser, the bench's included (however its arguments are defined)."""
    (subparsers,) = (
        action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    return dict(subparsers.choices)


def test_every_command_is_listed_in_the_overview(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    overview = capsys.readouterr().out
    # after the usage line, user text first: what the product does, not how the code is laid out
    opening = overview.split("\n\n")[1].lower()
    assert "milestone" in opening and "account" in opening
    assert not any(word in opening for word in ("module", "wrapper", "console script", "subcommand"))
    for name in _commands():
        assert f"\n    {name} " in overview, f"{name} is not listed with a summary"


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_explains_itself(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`milestones <command> --help`: a description, an example, help on every argument, and the
    default of every option that has one (flags are off unless given)."""
    with pytest.raises(SystemExit) as exited:
        main([name, "--help"])
    assert exited.value.code == 0
    page = capsys.readouterr().out
    parser = _commands()[name]
    assert parser.description, f"{name} has no description"
    assert f"example:\n  milestones {name}" in page, f"{name} has no example"
    formatter = parser._get_formatter()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        label = "/".join(action.option_strings) or action.dest
        assert action.help, f"{name} {label} has no help"
        assert action.help in " ".join(page.split()), f"{name} {label}: help not on the page"
        says_default = "default" in formatter._get_help_string(action).lower()
        if action.option_strings and not action.required and action.nargs != 0:
            assert says_default, f"{name} {label}: the help does not give the default"


def test_the_console_script_reads_the_generator_choices_without_loading_the_generator() -> None:
    # The choices live in milestones.sample.options so that `milestones --help` stays quick.
    code = (
        "import sys, milestones.cli as cli; cli.build_parser(); "
        "print(sorted(m for m in ('numpy', 'pyarrow', 'milestones.sample.core') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
