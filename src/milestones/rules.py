"""The product's fixed rules, read from where they are written once.

The event contract's rules (docs/rules.md §5) live in seeds/event_contract_rules.csv, which the dbt
models join; the generator, the validation and the tests read the same rows through
`contract_rules()`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from milestones import paths

CONTRACT_RULES_SEED = "event_contract_rules.csv"


@dataclass(frozen=True)
class ContractRule:
    rule_number: int
    reason: str
    is_property_rule: bool  # about one planned property, which the quarantined row names
    description: str


@cache
def contract_rules() -> tuple[ContractRule, ...]:
    """The event contract's rules in the order rows are checked in (docs/rules.md §5)."""
    with (paths.PROJECT_DIR / "seeds" / CONTRACT_RULES_SEED).open(newline="", encoding="utf-8") as seed:
        rules = [
            ContractRule(
                rule_number=int(row["rule_number"]),
                reason=row["reason"],
                is_property_rule=row["is_property_rule"] == "true",
                description=row["description"],
            )
            for row in csv.DictReader(seed)
        ]
    return tuple(sorted(rules, key=lambda rule: rule.rule_number))


def contract_reasons() -> tuple[str, ...]:
    """The quarantine reasons, first rule first."""
    return tuple(rule.reason for rule in contract_rules())
