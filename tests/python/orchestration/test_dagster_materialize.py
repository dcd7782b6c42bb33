"""The whole asset graph materialized in-process against a temporary DuckDB file: the landing folder
loaded, every dbt seed, model and snapshot built with its tests as checks, the GX validation passed."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_support import END_DATE, first_account, small_landing, write_events


@pytest.mark.slow
def test_build_job_materializes_every_asset(dbt_artifacts: Path, tmp_path: Path, monkeypatch) -> None:
    import dagster as dg

    landing = small_landing(tmp_path / "landing")
    monkeypatch.setenv("MILESTONES_LANDING_DIR", str(landing))
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("MILESTONES_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("MILESTONES_TARGET", "duckdb")
    from orchestration.definitions import defs

    job = defs.resolve_job_def("build_warehouse")
    result = job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        run_config={"ops": {"dbt_build": {"config": {"as_of_date": END_DATE.isoformat()}}}},
        raise_on_error=False,
    )
    assert result.success

    graph = defs.resolve_asset_graph()
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert materialized == set(graph.materializable_asset_keys)

    evaluations = result.get_asset_check_evaluations()
    assert {(e.asset_key, e.check_name) for e in evaluations} == set(graph.asset_check_keys)
    failed = [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations if not e.passed]
    assert failed == []

    gx = [e for e in evaluations if e.check_name == "great_expectations"]
    assert gx and all(e.passed for e in gx)
    assert (tmp_path / "reports" / "data_docs" / "index.html").exists()

    loaded = next(
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["landing", "events"])
    )
    assert loaded.materialization.metadata["rows_loaded"].value > 0


@pytest.mark.slow
def test_a_failed_validation_delivers_nothing(dbt_artifacts: Path, tmp_path: Path, monkeypatch) -> None:
    """The Great Expectations checks block delivery, as in `milestones build`. Only the GX check runs
    beside the assets (dbt's own tests would fail first on these events): every audit_log_exported
    of one file has a format outside its allowed values, enough rows for the rate to be judged."""
    import dagster as dg

    landing = small_landing(tmp_path / "landing")
    bad = [("audit_log_exported", {"format": "docx"})] * 150
    write_events(landing / "events_bad.jsonl", first_account(landing), bad)
    monkeypatch.setenv("MILESTONES_LANDING_DIR", str(landing))
    monkeypatch.setenv("MILESTONES_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("MILESTONES_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("MILESTONES_TARGET", "duckdb")
    from orchestration.definitions import defs
    from orchestration.defs.validation.checks import great_expectations_validation

    selection = dg.AssetSelection.all().without_checks() | dg.AssetSelection.checks(
        great_expectations_validation
    )
    job = dg.Definitions.merge(
        defs, dg.Definitions(jobs=[dg.define_asset_job("validated_build", selection=selection)])
    ).resolve_job_def("validated_build")
    result = job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        run_config={"ops": {"dbt_build": {"config": {"as_of_date": END_DATE.isoformat()}}}},
        raise_on_error=False,
    )

    evaluations = result.get_asset_check_evaluations()
    failed = [e for e in evaluations if not e.passed]
    assert failed and {e.check_name for e in failed} == {"great_expectations"}
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey(["marts", "fct_account_milestones"]) in materialized, "the build itself ran"
    delivered = {key for key in materialized if key.path[0] == "delivery"}
    assert delivered == set(), "nothing is delivered after a failed validation"
    assert not list((tmp_path / "reports").glob("*.html")), "no report either"
