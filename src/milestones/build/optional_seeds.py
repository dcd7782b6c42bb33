"""A bad row in an optional seed (docs/rules.md §4): the build goes on, then `milestones build` says so.

The optional seeds' well-formedness tests only warn (a failing test would make dbt skip the milestone
tables downstream of the seed), and the models ignore the rows they flag. The well-formedness tests
carry the tag optional_seed_rule: when one warned, the build exits 1 naming the row, before the
validations and the serving file, so the last good serving file stays. The CRM snapshot is written
in the same dbt build as the models, so a delivering build runs those tests first (`check`): when
one warns, the build leaves the snapshot out and records no delivery. The tests of rows naming a
segment or milestone the four seeds do not define carry optional_seed_reference: the build goes on
and prints the rows as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from milestones import paths
from milestones.build.dbt import DbtOutcome, FailedNode, failed_node, read_manifest, run_dbt, target_dir
from milestones.build.seed_check import files_digest
from milestones.delivery.guard import Decision, run_results

OPTIONAL_SEED_TAG = "optional_seed_rule"
OPTIONAL_SEED_REFERENCE_TAG = "optional_seed_reference"
MAX_ROWS = 3
# a delivering build whose optional seeds break their rules delivers nothing: dbt leaves out the CRM
# snapshot and the crm_ tables that read it (docs/rules.md §4)
WITHHELD_DELIVERY = ("--exclude", "resource_type:snapshot+")
# what the verdict of those tests depends on: the seeds, their tests and rules, the project's config
CHECKED_FILES = ("seeds", "macros", "dbt_project.yml")


@dataclass(frozen=True)
class OptionalSeedProblems:
    """The optional-seed tests that warned in a build, as failed nodes (their stored rows name the
    seed rows)."""

    broken_rules: list[FailedNode]  # tag optional_seed_rule: the build stops
    unknown_names: list[FailedNode]  # tag optional_seed_reference: the build warns


def optional_seed_problems(outcome: DbtOutcome) -> OptionalSeedProblems:
    """The warned tests of both tags, from one read of dbt's manifest and run results."""
    tags = _test_tags()
    warned = [
        result
        for result in run_results(outcome.run_results_path)
        if result["status"] == "warn" and result["unique_id"] in tags
    ]

    def tagged(tag: str) -> list[FailedNode]:
        # the rows a warning stored are read like a failure's
        return [failed_node(result, status="fail") for result in warned if tag in tags[result["unique_id"]]]

    return OptionalSeedProblems(tagged(OPTIONAL_SEED_TAG), tagged(OPTIONAL_SEED_REFERENCE_TAG))


def check(target: str | None, as_of: date, full_refresh: bool = False) -> list[FailedNode]:
    """The well-formedness tests that warn, run quietly before a delivering build with only the seeds
    they read (the build runs them again and says what they found). A pass is remembered (in dbt's
    target folder, by a hash of the files the verdict depends on: the rules are the same SQL on every
    warehouse), so a build from unchanged seeds does not wait for dbt twice."""
    passed = target_dir() / "optional_seed_check" / f"{files_digest(paths.PROJECT_DIR, CHECKED_FILES)}.passed"
    if passed.exists():
        return []
    command = ["build", "--select", f"+tag:{OPTIONAL_SEED_TAG}", "--indirect-selection", "empty"]
    if full_refresh:
        command.append("--full-refresh")
    outcome = run_dbt(command, target=target, as_of=as_of, quiet=True)
    broken = optional_seed_problems(outcome).broken_rules
    if outcome.success and not broken:
        passed.parent.mkdir(parents=True, exist_ok=True)
        passed.touch()
    return broken


def withheld_delivery(delivery: Decision, target: str | None, full_refresh: bool = False) -> list[FailedNode]:
    """The optional-seed rules a delivering build breaks, checked before its dbt build: dbt writes the
    CRM snapshot in the same build as the models, so a row breaking them must be known first for
    the build to deliver nothing. An analysis build delivers nothing anyway: none."""
    if not delivery.delivers:
        return []
    return check(target, delivery.as_of, full_refresh)


def _test_tags() -> dict[str, list[str]]:
    """The tags of each test in dbt's manifest."""
    return {
        unique_id: node.get("tags", [])
        for unique_id, node in read_manifest().get("nodes", {}).items()
        if node.get("resource_type") == "test"
    }
