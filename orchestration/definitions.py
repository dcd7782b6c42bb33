"""The code location: `dagster dev` (or `make dev`) from the repository root loads `defs` from here.

- landing: `load_landing_folder` loads the landing folder into the raw tables (the dbt sources)
- dbt: every seed, model and snapshot, built by one `dbt build`; dbt tests are asset checks
- validation: the Great Expectations suites generated from the tracking plan, as asset checks
- delivery: the serving file for BI tools, the CRM change feed and the HTML report
- `build_warehouse` job = all of it; `daily_build` schedule; `landing_folder_sensor` sensor
"""

import dagster as dg

from orchestration.defs.dbt.assets import dbt_build
from orchestration.defs.dbt.resources import dbt_resource
from orchestration.defs.dbt.schedules import daily_build
from orchestration.defs.delivery.assets import crm_change_feed, html_report, serving_file
from orchestration.defs.landing.assets import load_landing_folder
from orchestration.defs.landing.sensors import landing_folder_sensor
from orchestration.defs.shared import BUILD_JOB_NAME, RUN_TAGS
from orchestration.defs.validation.checks import great_expectations_validation

build_warehouse = dg.define_asset_job(
    name=BUILD_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description=(
        "Load the landing folder, run the dbt build (seeds, models, snapshots, tests), validate, then"
        " publish the serving file, export the CRM changes and write the report."
    ),
    tags=RUN_TAGS,
)

defs = dg.Definitions(
    assets=[load_landing_folder, dbt_build, serving_file, crm_change_feed, html_report],
    asset_checks=[great_expectations_validation],
    jobs=[build_warehouse],
    schedules=[daily_build],
    sensors=[landing_folder_sensor],
    resources={"dbt": dbt_resource()},
)
