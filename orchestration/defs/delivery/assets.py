"""Delivery: what leaves the warehouse after a build (the serving file for BI tools, the CRM change
feed, the HTML report), as assets downstream of the marts they read and of the validated tables,
whose Great Expectations checks are blocking: a failed validation delivers nothing, as in
`milestones build`.

In an analysis build (an as-of earlier than the last delivery, docs/rules.md §6; the dbt step and
these assets decide with the same rule, milestones.delivery.guard) the serving file and the CRM
change feed are not materialized: they log why and leave what was delivered as it is. The HTML
report is still written: it is how an analysis build is read."""

import dagster as dg

from orchestration.defs.dbt.assets import MOVE_BACK_OPTION, delivery_decision, run_build_config
from orchestration.defs.shared import WAREHOUSE_POOL, retry_if_transient
from orchestration.defs.validation.checks import VALIDATED_KEYS, model_keys

DELIVERY_GROUP = "delivery"

_KEYS = model_keys()
MARTS_READ_BY_THE_REPORT = (
    "fct_account_milestones",
    "dim_account_milestone_status",
    "mart_intervention_queue",
    "mart_segment_milestone_baselines",
    "mart_health_score_backtest",
    "mart_milestone_candidates",
)


def _deps(*models: str) -> list[dg.AssetKey]:
    """The models a delivery reads, then every validated table (each once)."""
    keys = [_KEYS[name] for name in models]
    return keys + [key for key in VALIDATED_KEYS if key not in keys]


def _is_analysis_build(context: dg.AssetExecutionContext) -> bool:
    """True (and the reason logged) when this run's build only analyses the past: nothing to deliver."""
    delivery = delivery_decision(run_build_config(context))
    if delivery.delivers:
        return False
    context.log.info(
        f"{context.asset_key.to_user_string()} not delivered: {delivery.summary(MOVE_BACK_OPTION)}"
    )
    return True


@dg.asset(
    key=dg.AssetKey(["delivery", "serving_file"]),
    group_name=DELIVERY_GROUP,
    deps=_deps(*MARTS_READ_BY_THE_REPORT, "crm_account_milestone_sync", "crm_account_milestone_changes"),
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
    output_required=False,
    description="The marts copied into a separate DuckDB file and swapped in whole, for BI tools.",
)
def serving_file(context: dg.AssetExecutionContext):
    from milestones.delivery.publish import publish

    if _is_analysis_build(context):
        return
    try:
        served = publish()
    except Exception as error:
        retry_if_transient(error)
        raise
    yield dg.MaterializeResult(metadata={"path": str(served) if served else "not published (PostgreSQL)"})


@dg.asset(
    key=dg.AssetKey(["delivery", "crm_change_feed"]),
    group_name=DELIVERY_GROUP,
    deps=_deps("crm_account_milestone_changes"),
    kinds={"python"},
    pool=WAREHOUSE_POOL,
    output_required=False,
    description="`milestones export`: the CRM changes recorded since the last export (JSON Lines).",
)
def crm_change_feed(context: dg.AssetExecutionContext):
    from milestones.delivery.export import export_changes

    if _is_analysis_build(context):
        return
    try:
        summary = export_changes()
    except Exception as error:
        retry_if_transient(error)
        raise
    yield dg.MaterializeResult(metadata={"summary": str(summary)})


@dg.asset(
    key=dg.AssetKey(["delivery", "html_report"]),
    group_name=DELIVERY_GROUP,
    deps=_deps(*MARTS_READ_BY_THE_REPORT),
    kinds={"html"},
    pool=WAREHOUSE_POOL,
    description="`milestones report`: one self-contained HTML file a CS leader reads at a glance.",
)
def html_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from milestones.delivery.report import write_report

    try:
        path = write_report()
    except Exception as error:
        retry_if_transient(error)
        raise
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})
