"""Every dbt seed, model and snapshot as an asset, built by one `dbt build` (tests as asset checks).

Delivery never moves backwards by accident (docs/rules.md §6): a run whose as-of date is earlier than
the last delivered one is an analysis build, as in `milestones build` (milestones.delivery.guard
decides): dbt leaves the CRM snapshot out, and the delivery assets deliver nothing. The run config
`move_delivery_back` delivers it instead.
"""

# no `from __future__ import annotations`: Dagster reads the config class from the annotation
import os
from datetime import UTC, date, datetime

import dagster as dg
from dagster_dbt import DagsterDbtCliRuntimeError, DbtCliInvocation, DbtCliResource, dbt_assets
from pydantic import Field

from milestones.build.dbt import AS_OF_ENV, UNIT_TEST_EXCLUSION, prepare_environment
from milestones.build.optional_seeds import WITHHELD_DELIVERY, withheld_delivery
from milestones.build.run import bad_seed_row_lines
from milestones.delivery.guard import Decision, decide, record_if_delivered
from orchestration.defs.dbt.metadata import with_table_metadata
from orchestration.defs.dbt.resources import dbt_project
from orchestration.defs.dbt.translator import MilestonesDbtTranslator
from orchestration.defs.shared import WAREHOUSE_POOL, retry_if_transient

DBT_OP_NAME = "dbt_build"
# how a Dagster user asks to move delivery back (named in the analysis build's message)
MOVE_BACK_OPTION = f"run config ops.{DBT_OP_NAME}.config.move_delivery_back"


class DbtBuildConfig(dg.Config):
    """Run config of the dbt step (the Launchpad shows it)."""

    as_of_date: str = Field(
        default="",
        description="'Today' for the build (YYYY-MM-DD, dbt var as_of_date); empty: the current UTC date.",
    )
    full_refresh: bool = False
    move_delivery_back: bool = Field(
        default=False,
        description=(
            "Deliver even when as_of_date is earlier than the last delivered as-of (docs/rules.md §6); "
            "otherwise such a run is an analysis build that leaves the CRM snapshot, the change feed "
            "and the serving file as they were."
        ),
    )


def as_of(config: DbtBuildConfig) -> date:
    return date.fromisoformat(config.as_of_date) if config.as_of_date else datetime.now(UTC).date()


def delivery_decision(config: DbtBuildConfig) -> Decision:
    """Deliver or only analyse: the rule `milestones build` follows, for this run's config."""
    return decide(as_of(config), move_back=config.move_delivery_back)


def run_build_config(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> DbtBuildConfig:
    """The dbt step's config in the current run (its defaults when the run has none), so that the
    delivery assets decide as the dbt step did."""
    ops = (context.run.run_config or {}).get("ops", {})
    return DbtBuildConfig(**ops.get(DBT_OP_NAME, {}).get("config", {}))


def build_args(config: DbtBuildConfig, delivery: Decision, withheld: bool = False) -> list[str]:
    """The dbt command: what `milestones build` runs, for the selected assets."""
    args = ["build", *UNIT_TEST_EXCLUSION]
    if config.full_refresh:
        args.append("--full-refresh")
    return args + (list(WITHHELD_DELIVERY) if withheld else delivery.dbt_arguments())


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=MilestonesDbtTranslator(),
    name=DBT_OP_NAME,
    pool=WAREHOUSE_POOL,
)
def dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    prepare_environment()
    delivery = delivery_decision(config)
    summary = delivery.summary(MOVE_BACK_OPTION)
    if summary:
        context.log.info(summary)
    # as in `milestones build`: optional-seed rows that break their rules withhold the delivery
    withheld = withheld_delivery(delivery, None, config.full_refresh)
    # dagster-dbt's dbt process inherits this process's environment: "today" as `milestones build` passes it
    os.environ[AS_OF_ENV] = as_of(config).isoformat()
    invocation = dbt.cli(build_args(config, delivery, bool(withheld)), context=context)
    try:
        # events follow once dbt has exited, with row counts and columns read then (metadata.py)
        yield from with_table_metadata(invocation)
    except DagsterDbtCliRuntimeError as error:
        if not withheld:
            record_if_delivered(delivery, False, _results(invocation))
        retry_if_transient(error)
        raise
    if withheld:  # the tables are built; the delivery assets after this step do not run
        raise dg.Failure(description="\n".join(bad_seed_row_lines(withheld, None)))
    record_if_delivered(delivery, True, _results(invocation))


def _results(invocation: DbtCliInvocation) -> list:
    """The `results` of the invocation's run_results.json (none when dbt wrote none)."""
    try:
        return invocation.get_artifact("run_results.json").get("results", [])
    except FileNotFoundError:
        return []
