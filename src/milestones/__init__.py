"""Milestone warehouse: the Python around the dbt project (command line, loader, validation,
delivery, sample data and bench)."""
