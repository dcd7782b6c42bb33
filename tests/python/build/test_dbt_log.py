"""dbt's debug log: rotated before each invocation, as dbt would rotate it while writing."""

from __future__ import annotations

from pathlib import Path

from milestones.build.dbt import rotate_log


def test_a_full_log_moves_to_the_first_backup_and_the_oldest_is_dropped(tmp_path: Path) -> None:
    log = tmp_path / "dbt.log"
    for number, text in [(1, "newest backup"), (2, "older"), (3, "oldest")]:
        (tmp_path / f"dbt.log.{number}").write_text(text)
    log.write_text("x" * 100)

    rotate_log(log, max_bytes=100, backups=3)

    assert not log.exists()
    assert (tmp_path / "dbt.log.1").read_text() == "x" * 100
    assert (tmp_path / "dbt.log.2").read_text() == "newest backup"
    assert (tmp_path / "dbt.log.3").read_text() == "older"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["dbt.log.1", "dbt.log.2", "dbt.log.3"]


def test_a_log_under_the_size_keeps_growing(tmp_path: Path) -> None:
    log = tmp_path / "dbt.log"
    log.write_text("x" * 99)
    rotate_log(log, max_bytes=100, backups=3)
    rotate_log(tmp_path / "missing.log", max_bytes=100, backups=3)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["dbt.log"]
