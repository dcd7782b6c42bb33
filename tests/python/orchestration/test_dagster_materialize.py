"""The whole asset graph materialized in-process against a temporary DuckDB file: the landing folder
loaded, every dbt seed, model and snapshot built with its tests as checks, the GX validation passed."""

from __future__ import annotations

from pathlib import Path

import duckdb
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

    # each dbt model's materialization carries its row count and its columns with their types, read
    # from the warehouse after dbt exits; that connection is closed again, so the dbt step records the
    # delivery and the delivery assets open the file themselves (all of them are materialized above)
    mart = next(
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["marts", "fct_account_milestones"])
    )
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        (rows,) = connection.execute("select count(*) from main_marts.fct_account_milestones").fetchone()
        types = connection.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'main_marts' and table_name = 'fct_account_milestones'"
            " order by ordinal_position"
        ).fetchall()
        delivered = connection.execute("select as_of_date from main_delivery.deliveries").fetchall()
    assert mart.metadata["dagster/row_count"].value == rows > 0
    columns = mart.metadata["dagster/column_schema"].schema.columns
    assert [(column.name, column.type) for column in columns] == types
    assert [column.name for column in columns][:3] == ["account_id", "segment", "milestone_id"]
    assert delivered == [(END_DATE,)]
    dbt_step = [
        e.materialization for e in result.get_asset_materialization_events() if e.step_key == "dbt_build"
    ]
    bare = [m.asset_key.to_user_string() for m in dbt_step if "dagster/row_count" not in m.metadata]
    assert dbt_step and bare == [], "every seed, model and snapshot has its row count"
    assert dg.AssetKey(["delivery", "serving_file"]) in materialized


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
