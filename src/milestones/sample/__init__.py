"""`milestones generate`: a realistic, deterministic landing folder for the demo product, driven by the
seeds (the milestone events of each account meet the seeded criteria at drawn instants)."""

from milestones.sample.core import GenerateSummary, generate

__all__ = ["GenerateSummary", "generate"]
