"""A bad row in an optional seed (docs/rules.md §4): the build goes on, then `milestones build` says so.

The optional seeds' well-formedness tests only warn (a failing test would make dbt skip the milestone
tables downstream of the seed), and the models ignore the rows they flag. The well-formedness tests
carry the tag optional_seed_rule: when one warned, the build exits 1 naming the row, before the
validations and the serving file, so the last good serving file stays. The tests of rows naming a
segment or milestone the four seeds do not define carry optional_seed_reference: the build goes on
and prints the rows as warnings.
"""

from __future__ import annotations

from milestones.build.dbt import DbtOutcome, FailedNode, failed_node, read_manifest
from milestones.delivery.guard import run_results

OPTIONAL_SEED_TAG = "optional_seed_rule"
OPTIONAL_SEED_REFERENCE_TAG = "optional_seed_reference"
MAX_ROWS = 3


def optional_seed_problems(outcome: DbtOutcome, tag: str = OPTIONAL_SEED_TAG) -> list[FailedNode]:
    """The tests with `tag` that warned in this build, as failed nodes (their stored rows name the seed
    rows)."""
    tagged = _tagged_tests(tag)
    return [
        failed_node(result, status="fail")  # the rows a warning stored are read like a failure's
        for result in run_results(outcome.run_results_path)
        if result["status"] == "warn" and result["unique_id"] in tagged
    ]


def _tagged_tests(tag: str) -> set[str]:
    return {
        unique_id
        for unique_id, node in read_manifest().get("nodes", {}).items()
        if node.get("resource_type") == "test" and tag in node.get("tags", [])
    }
