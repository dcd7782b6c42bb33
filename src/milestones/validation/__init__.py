"""Great Expectations 1.x validation of the warehouse, with suites generated from the tracking plan.

from milestones.validation import validate_warehouse
report = validate_warehouse()          # target from MILESTONES_TARGET, Data Docs to reports/data_docs/
if not report.ok: print(report.summary())
"""

from milestones.user_seeds import TrackingPlan, read_tracking_plan
from milestones.validation.runner import FailedExpectation, ValidationReport, validate_warehouse
from milestones.validation.suites import Suite, describe_suites, generate_suites

__all__ = [
    "FailedExpectation",
    "Suite",
    "TrackingPlan",
    "ValidationReport",
    "describe_suites",
    "generate_suites",
    "read_tracking_plan",
    "validate_warehouse",
]
