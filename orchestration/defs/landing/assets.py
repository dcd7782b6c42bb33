"""The landing folder loaded into the raw tables: the assets upstream of the dbt sources."""

import dagster as dg

from milestones import paths
from orchestration.defs.dbt.resources import dbt_project
from orchestration.defs.dbt.translator import MilestonesDbtTranslator
from orchestration.defs.shared import WAREHOUSE_POOL, retry_if_transient

LANDING_SOURCE = "landing"
LANDING_GROUP = "landing"


def landing_source_keys() -> dict[str, dg.AssetKey]:
    """Raw table name -> the asset key dagster-dbt gives that dbt source (so dbt models depend on it)."""
    import json

    manifest = json.loads(dbt_project().manifest_path.read_text())
    translator = MilestonesDbtTranslator()
    return {
        props["name"]: translator.get_asset_key(props)
        for props in manifest["sources"].values()
        if props["source_name"] == LANDING_SOURCE
    }


_KEYS = landing_source_keys()


@dg.multi_asset(
    name="load_landing_folder",
    specs=[
        dg.AssetSpec(
            key,
            group_name=LANDING_GROUP,
            kinds={"duckdb", "python"},
            description=f"Raw table `{table}`: the landing files loaded as text by `milestones load`.",
        )
        for table, key in sorted(_KEYS.items())
    ],
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def load_landing_folder(context: dg.AssetExecutionContext):
    """Load every new file of the landing folder (MILESTONES_LANDING_DIR, default landing/) into the
    raw tables. A file already loaded (same checksum) adds nothing."""
    from milestones.errors import UserError
    from milestones.load import load_directory

    directory = paths.landing_dir()
    if not directory.is_dir():
        context.log.warning(f"no landing folder at {directory}: nothing to load")
        summary = None
    else:
        try:
            summary = load_directory(directory)
        except UserError as error:
            retry_if_transient(error)
            raise dg.Failure(description=str(error)) from None
        except Exception as error:
            retry_if_transient(error)
            raise
        context.log.info(str(summary))
    loaded = summary.loaded if summary else []
    rows = summary.rows_by_table if summary else {}
    for table, key in sorted(_KEYS.items()):
        files = [result.file_name for result in loaded if result.table == table]
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "landing_folder": dg.MetadataValue.path(str(directory)),
                "files_loaded": len(files),
                "file_names": dg.MetadataValue.json(files),
                "rows_loaded": rows.get(table, 0),
            },
        )
