"""Row-for-row comparison of the reference pipeline's two outputs (milestones.bench.reference) with the
product's tables: the quarantine reason of every landed event row (int_events__contract_checked, by file
and row number) and every column of fct_account_milestones.

A difference is counted as rows found in only one of the two sides (a multiset difference, so a row
present twice on one side and once on the other counts once), with a few examples of each to start
looking from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from milestones.bench.reference import EVENT_CHECK_COLUMNS, MILESTONE_COLUMNS

EXAMPLES = 3


def differing_rows(connection: Any, reference: str, product: str, columns: tuple[str, ...]) -> dict[str, Any]:
    """Rows of `reference` not in `product` and the other way round (both SQL relations, compared on
    `columns`): counts and a few examples of each side."""
    listed = ", ".join(columns)
    outcome: dict[str, Any] = {}
    for name, left, right in (("only_reference", reference, product), ("only_product", product, reference)):
        difference = f"SELECT {listed} FROM {left} EXCEPT ALL SELECT {listed} FROM {right}"
        (outcome[name],) = connection.execute(f"SELECT count(*) FROM ({difference})").fetchone()
        rows = connection.execute(f"SELECT * FROM ({difference}) ORDER BY ALL LIMIT {EXAMPLES}").fetchall()
        outcome[f"{name}_examples"] = [
            {column: _plain(value) for column, value in zip(columns, row, strict=True)} for row in rows
        ]
    (outcome["rows"],) = connection.execute(f"SELECT count(*) FROM {reference}").fetchone()
    (outcome["product_rows"],) = connection.execute(f"SELECT count(*) FROM {product}").fetchone()
    return outcome


def compare_with_product(connection: Any, reference_dir: Path, database: Path, schema: str) -> dict[str, Any]:
    """Both outputs (Parquet files in reference_dir) against the product's DuckDB warehouse file."""
    connection.execute(f"ATTACH '{database}' AS product (READ_ONLY)")
    try:
        return {
            "event_checks": differing_rows(
                connection,
                f"read_parquet('{Path(reference_dir) / 'event_checks.parquet'}')",
                f"product.{schema}_intermediate.int_events__contract_checked",
                EVENT_CHECK_COLUMNS,
            ),
            "account_milestones": differing_rows(
                connection,
                f"read_parquet('{Path(reference_dir) / 'account_milestones.parquet'}')",
                f"product.{schema}_marts.fct_account_milestones",
                MILESTONE_COLUMNS,
            ),
        }
    finally:
        connection.execute("DETACH product")


def _plain(value: Any) -> Any:
    """A value the bench's JSON can hold."""
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)
