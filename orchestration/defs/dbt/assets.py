"""Every dbt seed, model and snapshot as an asset, built by one `dbt build` (tests as asset checks)."""

# no `from __future__ import annotations`: Dagster reads the config class from the annotation
from datetime import UTC, date, datetime

import dagster as dg
from dagster_dbt import DagsterDbtCliRuntimeError, DbtCliResource, dbt_assets
from pydantic import Field

from milestones.build.dbt import dbt_vars, prepare_environment
from orchestration.defs.dbt.resources import dbt_project
from orchestration.defs.dbt.translator import MilestonesDbtTranslator
from orchestration.defs.shared import WAREHOUSE_POOL, retry_if_transient

DBT_OP_NAME = "dbt_build"


class DbtBuildConfig(dg.Config):
    """Run config of the dbt step (the Launchpad shows it)."""

    as_of_date: str = Field(
        default="",
        description="'Today' for the build (YYYY-MM-DD, dbt var as_of_date); empty: the current UTC date.",
    )
    full_refresh: bool = False


def as_of(config: DbtBuildConfig) -> date:
    return date.fromisoformat(config.as_of_date) if config.as_of_date else datetime.now(UTC).date()


def build_args(config: DbtBuildConfig) -> list[str]:
    """The dbt command: what `milestones build` runs, for the selected assets."""
    import json

    args = ["build", "--vars", json.dumps(dbt_vars(as_of(config)))]
    if config.full_refresh:
        args.append("--full-refresh")
    return args


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=MilestonesDbtTranslator(),
    name=DBT_OP_NAME,
    pool=WAREHOUSE_POOL,
)
def dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    prepare_environment()
    invocation = dbt.cli(build_args(config), context=context)
    try:
        yield from invocation.stream()
    except DagsterDbtCliRuntimeError as error:
        retry_if_transient(error)
        raise
