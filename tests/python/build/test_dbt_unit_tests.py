"""The dbt unit tests (fixed input rows, expected output rows, in the models' `_*__unit_tests.yml`).

Production builds leave them out (milestones.build.dbt.UNIT_TEST_EXCLUSION): they prove the models'
logic, not the day's data, so `make test` runs them once, here, against the sample warehouse whose
relations give dbt the column types of each model's inputs.
"""

from __future__ import annotations

from pathlib import Path

from conftest import SAMPLE_END, environment


def test_every_dbt_unit_test_passes(built_duckdb: Path) -> None:
    from milestones.build.dbt import run_dbt

    with environment(MILESTONES_DUCKDB_PATH=str(built_duckdb), MILESTONES_TARGET="duckdb"):
        outcome = run_dbt(["test", "--select", "test_type:unit"], as_of=SAMPLE_END)
    assert outcome.success, [f"{failed.unique_id}: {failed.message}" for failed in outcome.failed]
    results = Path(outcome.run_results_path).read_text()
    assert results.count('"unique_id": "unit_test.') >= 30, "the unit tests ran"


def test_production_builds_leave_the_unit_tests_out(dbt_artifacts: Path) -> None:
    """What `milestones build` and the Dagster job pass to `dbt build` selects no unit test, and
    everything else: the models, the snapshot and the data tests stay in."""
    import subprocess

    from milestones.build.dbt import UNIT_TEST_EXCLUSION, _dbt_executable

    def listed(resource_type: str, *arguments: str) -> list[str]:
        command = [_dbt_executable(), "ls", "--resource-type", resource_type, "--output", "name", "-q"]
        listing = subprocess.run([*command, *arguments], check=True, capture_output=True, text=True)
        return listing.stdout.split()

    everything = listed("all")
    production = listed("all", *UNIT_TEST_EXCLUSION)
    unit_tests = listed("unit_test")
    assert len(unit_tests) >= 30
    assert set(production) == set(everything) - set(unit_tests)
