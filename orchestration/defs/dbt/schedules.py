"""The daily build: load, dbt build and validation, as of the day the schedule fires."""

from datetime import UTC, datetime

import dagster as dg

from orchestration.defs.dbt.assets import DBT_OP_NAME
from orchestration.defs.shared import BUILD_JOB_NAME

SCHEDULE_NAME = "daily_build"
CRON = "0 5 * * *"


def run_config_for(as_of_date: str) -> dict:
    return {"ops": {DBT_OP_NAME: {"config": {"as_of_date": as_of_date}}}}


@dg.schedule(
    name=SCHEDULE_NAME,
    cron_schedule=CRON,
    execution_timezone="UTC",
    job_name=BUILD_JOB_NAME,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 05:00 UTC: load the landing folder, build everything as of that day, validate.",
)
def daily_build(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    fired = context.scheduled_execution_time or datetime.now(UTC)
    as_of_date = fired.astimezone(UTC).date().isoformat()
    return dg.RunRequest(
        run_key=f"daily-{as_of_date}",
        run_config=run_config_for(as_of_date),
        tags={"milestones/trigger": "schedule", "milestones/as_of": as_of_date},
    )
