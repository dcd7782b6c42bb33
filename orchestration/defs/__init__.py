"""The Dagster code location (`[tool.dagster] module_name = "orchestration.definitions"`): one folder
per integration (dbt, landing, validation), put together in definitions.py."""
