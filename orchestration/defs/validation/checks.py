"""The Great Expectations validation as asset checks: one check per validated table, all evaluated by
one step after the dbt build (the same `validate_warehouse` that `milestones build` runs)."""

from collections import defaultdict

import dagster as dg

from milestones.validation.suites import generate_suites
from orchestration.defs.dbt.resources import dbt_project
from orchestration.defs.dbt.translator import MilestonesDbtTranslator
from orchestration.defs.shared import WAREHOUSE_POOL, retry_if_transient

CHECK_NAME = "great_expectations"


def model_keys() -> dict[str, dg.AssetKey]:
    """dbt model name -> its asset key, as the translator makes it (e.g. marts/fct_events)."""
    import json

    manifest = json.loads(dbt_project().manifest_path.read_text())
    translator = MilestonesDbtTranslator()
    return {
        props["name"]: translator.get_asset_key(props)
        for props in manifest["nodes"].values()
        if props["resource_type"] == "model"
    }


def suites_by_relation() -> dict[str, list[str]]:
    """dbt model name -> the generated suites that validate it."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for suite in generate_suites():
        grouped[suite.dataset.relation].append(suite.name)
    return dict(grouped)


_SUITES = suites_by_relation()
_KEYS = model_keys()
# What delivery waits for: the validated tables, so that a failed (blocking) check stops it.
VALIDATED_KEYS = [_KEYS[relation] for relation in sorted(_SUITES)]


@dg.multi_asset_check(
    name="great_expectations_validation",
    specs=[
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=_KEYS[relation],
            description=f"Great Expectations suites generated from the tracking plan: {', '.join(names)}",
            # like `milestones build`: a failed validation stops delivery (the assets downstream)
            blocking=True,
        )
        for relation, names in sorted(_SUITES.items())
    ],
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def great_expectations_validation(context: dg.AssetCheckExecutionContext):
    from milestones.errors import UserError
    from milestones.validation import validate_warehouse
    from orchestration.defs.dbt.assets import run_build_config

    # like `milestones build`: the rows the dbt step (re)checked, every row after a full refresh
    everything = run_build_config(context).full_refresh
    try:
        report = validate_warehouse(log=context.log.debug, everything=everything)
    except UserError as error:
        retry_if_transient(error)
        raise
    context.log.info(report.summary())
    suite_relation = {name: relation for relation, names in _SUITES.items() for name in names}
    failures_by_relation: dict[str, list[str]] = defaultdict(list)
    for failure in report.failed:
        failures_by_relation[suite_relation.get(failure.suite, "")].append(failure.describe())
    outcomes = {outcome.suite: outcome for outcome in report.suites}
    for relation, names in sorted(_SUITES.items()):
        failures = failures_by_relation.get(relation, [])
        metadata: dict[str, dg.RawMetadataValue] = {
            "suites": dg.MetadataValue.json(names),
            "rows_read": sum(outcomes[name].rows for name in names if name in outcomes),
            "expectations": sum(outcomes[name].expectations for name in names if name in outcomes),
            "failed_expectations": len(failures),
        }
        if failures:
            metadata["failures"] = dg.MetadataValue.md("\n".join(f"- {line}" for line in failures))
        if report.data_docs_index:
            metadata["data_docs"] = dg.MetadataValue.path(str(report.data_docs_index))
        yield dg.AssetCheckResult(
            asset_key=_KEYS[relation],
            check_name=CHECK_NAME,
            passed=not failures,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
        )
