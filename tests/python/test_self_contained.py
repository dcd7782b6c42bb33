"""The repository stands alone: users clone it without anything beside it, so no file may point at
documents outside it, at issue or ticket numbers, or at how and where it was developed. The rules are
cited as docs/rules.md §N instead.

The patterns are written so that their own source does not match them (a literal word is broken by
regex syntax, an example is assembled from pieces), so this file is scanned too.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from milestones.paths import PROJECT_DIR

# One home for what counts as a reference outside the repository (case-insensitive).
FORBIDDEN_REFERENCES = re.compile(
    "|".join(
        [
            r"\.\./shared\b",  # a sibling folder of the repository
            r"\bspec(?:ification)?\.md\b",  # a rules document kept elsewhere
            r"\bspec\W{0,3}(?:sections?\b|§)",  # citing a section of it
            r"(?:\b|_)(?:the|per|our)[\s_]+spec(?:\b|_)",  # naming it in prose or in a name
            r"\(spec\)",
            r"\b(?:issue|ticket)s?\s*(?:#\s*)?\d+",  # a numbered issue or ticket
            r"\bthis\s+session\b",
            r"\bsteer(?:ing)\b",
            r"\b(?:development|dev)\s+machine\b",
            r"\b(?:other|another)\s+engineers?\b",
        ]
    ),
    re.IGNORECASE,
)

BINARY_SNIFF_BYTES = 8192


def _joined(*pieces: str) -> str:
    """An example reference, kept in pieces so that this file does not contain it."""
    return "".join(pieces)


def repository_files(root: Path) -> list[str]:
    """Tracked files plus new ones not yet added (ignored files left out), relative to root."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    return sorted({name for name in listed.decode().split("\0") if name})


def forbidden_references(root: Path) -> list[str]:
    """`file:line: text` for every line of a text file of the repository that refers outside it."""
    found = []
    for name in repository_files(root):
        path = root / name
        if not path.is_file():  # listed by git but deleted in the work tree
            continue
        data = path.read_bytes()
        if b"\0" in data[:BINARY_SNIFF_BYTES]:
            continue
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
            if FORBIDDEN_REFERENCES.search(line):
                found.append(f"{name}:{number}: {line.strip()[:160]}")
    return found


def test_the_repository_refers_to_nothing_outside_it() -> None:
    found = "\n".join(forbidden_references(PROJECT_DIR))
    assert not found, f"references outside the repository (cite docs/rules.md §N instead):\n{found}"


def _repository_with(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return tmp_path


def test_a_planted_reference_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    root = _repository_with(
        tmp_path,
        {
            "models/clean.sql": "-- the first rule broken (docs/rules.md §5)\nselect 1\n",
            "models/planted.sql": _joined("select 1\n-- the order of sp", "ec section 5\n"),
            "image.bin": b"\0sp" + b"ec section 5\n",
        },
    )
    assert forbidden_references(root) == [_joined("models/planted.sql:2: -- the order of sp", "ec section 5")]


@pytest.mark.parametrize(
    "line",
    [
        _joined("see ../sha", "red/SP", "EC.md"),
        _joined("(sp", "ec section 4)"),
        _joined("SP", "EC sections 5 and 6"),
        _joined("sp", "ec §2"),
        _joined("in the sp", "ec's order"),
        _joined("as per sp", "ec"),
        _joined("beyond the sp", "ec)"),
        _joined("def test_values_are_the_sp", "ec_s():"),
        _joined("the performance targets of iss", "ue 7"),
        _joined("fixes iss", "ue #12"),
        _joined("not attempted in this se", "ssion"),
        _joined("the ste", "ering repository"),
        _joined("measured on the develo", "pment machine"),
        _joined("while other engi", "neers ran builds"),
    ],
)
def test_references_outside_the_repository_match(line: str) -> None:
    assert FORBIDDEN_REFERENCES.search(line)


@pytest.mark.parametrize(
    "line",
    [
        "unless the profile specified another",
        "a specific intervention",
        "dg.AssetSpec(key)",
        "other_spec = events_spec",
        "isoformat(timespec='seconds')",
        "pathspec==0.12.1",
        "one warehouse per session (a session-scoped fixture)",
        "the loader issues a warning",
        "the first rule broken (docs/rules.md §5)",
        "slack|github|calendar|jira",
    ],
)
def test_ordinary_words_do_not_match(line: str) -> None:
    assert not FORBIDDEN_REFERENCES.search(line)
