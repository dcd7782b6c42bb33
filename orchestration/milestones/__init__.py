"""Milestone warehouse: the orchestration layer around the dbt project (CLI, loader, generator)."""
