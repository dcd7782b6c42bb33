"""A sensor on the landing folder: a run of the whole build when a new landing file appears."""

import dagster as dg

from milestones import paths
from orchestration.defs.landing.files import (
    diff_landing,
    read_cursor,
    run_key,
    scan,
    settle_seconds,
    sha256_of,
    write_cursor,
)
from orchestration.defs.shared import BUILD_JOB_NAME

SENSOR_NAME = "landing_folder_sensor"


@dg.sensor(
    name=SENSOR_NAME,
    job_name=BUILD_JOB_NAME,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Watches the landing folder (MILESTONES_LANDING_DIR, default landing/). A file with a name, size "
        "and mtime not seen before, and content not seen before, starts a load and build; the cursor "
        "remembers every file seen, so old files start nothing."
    ),
)
def landing_folder_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    directory = paths.landing_dir()
    if not directory.is_dir():
        return dg.SkipReason(f"no landing folder at {directory}")
    seen = read_cursor(context.cursor)
    current = scan(directory, settle_seconds=settle_seconds())
    new, state = diff_landing(seen, current, lambda name: sha256_of(directory / name))
    cursor = write_cursor(state)
    if not new:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(f"no new landing files in {directory}"), cursor=cursor
        )
    shown = ", ".join(new[:5]) + (f" and {len(new) - 5} more" if len(new) > 5 else "")
    context.log.info(f"new landing files: {shown}")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=run_key(new, state),
                tags={"milestones/trigger": "landing", "milestones/new_files": str(len(new))},
            )
        ],
        cursor=cursor,
    )
