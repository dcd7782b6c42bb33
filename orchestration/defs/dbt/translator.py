"""How dbt resources become Dagster assets: asset groups follow the dbt folders, and each model's
`meta.owner` (dbt_project.yml gives every mart folder one, e.g. `team:crm`) is the asset's owner."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

SETTINGS = DagsterDbtTranslatorSettings(
    enable_asset_checks=True,
    # tests on sources (the raw tables the loader writes) become checks on the landing assets too
    enable_source_tests_as_checks=True,
)

LAYERS = ("staging", "intermediate", "marts")
# Dagster accepts an email or a `team:` name as an owner
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def group_for(resource_type: str, original_file_path: str) -> str:
    """The asset group of a dbt resource from its type and file path:

    - seeds -> `seeds`, snapshots -> `snapshots`, sources -> `landing` (the loader writes them)
    - models/staging/** -> `staging`, models/intermediate/** -> `intermediate`
    - models/marts/<domain>/** -> `marts_<domain>` (`marts` for a file directly in models/marts)
    - any other model folder -> its first folder under models/
    """
    if resource_type == "seed":
        return "seeds"
    if resource_type == "snapshot":
        return "snapshots"
    if resource_type == "source":
        return "landing"
    parts = [part for part in original_file_path.replace("\\", "/").split("/") if part]
    if parts and parts[0] == "models":
        parts = parts[1:]
    folders = parts[:-1]
    if not folders:
        return "models"
    if folders[0] == "marts" and len(folders) > 1:
        return _safe(f"marts_{folders[1]}")
    return _safe(folders[0])


def _safe(name: str) -> str:
    """Group names may hold letters, digits and underscores only."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def owners_from_meta(owner: object) -> list[str] | None:
    """`meta.owner` (a string or a list) as Dagster owners: an email or a `team:` name stays as it is,
    any other name becomes a team, lowercased with underscores ("CRM Operations" -> team:crm_operations).
    None when there is no owner."""
    values = [owner] if isinstance(owner, str) else owner if isinstance(owner, list | tuple) else []
    owners = [_dagster_owner(str(value).strip()) for value in values]
    return [owner for owner in owners if owner] or None


def _dagster_owner(value: str) -> str | None:
    if EMAIL.fullmatch(value) or (value.startswith("team:") and len(value) > len("team:")):
        return value
    team = _safe(value.removeprefix("team:").lower()).strip("_")
    return f"team:{team}" if team else None


class MilestonesDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=SETTINGS)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return group_for(
            dbt_resource_props["resource_type"], dbt_resource_props.get("original_file_path", "")
        )

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        """The model's meta.owner; without one, dagster-dbt's default (meta.dagster.owners, then the
        dbt group's owner email)."""
        meta = dbt_resource_props.get("meta") or (dbt_resource_props.get("config") or {}).get("meta") or {}
        return owners_from_meta(meta.get("owner")) or super().get_owners(dbt_resource_props)
