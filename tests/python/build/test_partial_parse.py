"""The as-of date changes every day; dbt's parse of the project must not (docs/rules.md §2)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conftest import environment


def test_a_new_as_of_date_reuses_the_parse_and_reaches_the_sql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from milestones.build.dbt import run_dbt

    target, log = tmp_path / "target", tmp_path / "logs" / "dbt.log"
    monkeypatch.setenv("DBT_TARGET_PATH", str(target))
    monkeypatch.setenv("DBT_LOG_PATH", str(log.parent))
    with environment(MILESTONES_DUCKDB_PATH=str(tmp_path / "warehouse.duckdb"), MILESTONES_TARGET="duckdb"):
        assert run_dbt(["parse"], as_of=date(2026, 5, 1), quiet=True).success
        first_parse = log.read_text()
        model = "int_renewals__outcomes"
        compiled = run_dbt(["compile", "--select", model], as_of=date(2026, 5, 2), quiet=True)
        assert compiled.success
        second_parse = log.read_text()[len(first_parse) :]

    assert "Unable to do partial parsing" in first_parse, "the first build parses every file"
    assert "Unable to do partial parsing" not in second_parse, "the next day's build parses nothing again"
    sql = next(target.rglob(f"compiled/**/{model}.sql")).read_text()
    assert "cast('2026-05-02' as date)" in sql and "2026-05-01" not in sql
