"""A sensor on the landing folder: a run of the whole build when a new landing file appears."""

import dagster as dg

from milestones import paths
from milestones.errors import UserError
from milestones.load.loader import loaded_checksums
from orchestration.defs.landing.files import (
    diff_landing,
    first_state,
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
        "remembers every file seen, so old files start nothing. With no cursor yet (a new Dagster home), "
        "the files the warehouse has already loaded count as seen: starting Dagster starts no run."
    ),
)
def landing_folder_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    directory = paths.landing_dir()
    if not directory.is_dir():
        return dg.SkipReason(f"no landing folder at {directory}")
    current = scan(directory, settle_seconds=settle_seconds())
    if context.cursor is None:
        try:
            loaded = loaded_checksums()
        except UserError as error:  # the warehouse is busy (a run holds the file): look again later
            return dg.SkipReason(f"cannot read what the warehouse has loaded yet: {error}")
        seen = first_state(current, lambda name: sha256_of(directory / name), loaded)
    else:
        seen = read_cursor(context.cursor)
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
