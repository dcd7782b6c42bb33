"""The Dagster code location of the milestone warehouse; it imports the `milestones` package."""
