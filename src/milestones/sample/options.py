"""The generator's choices that the console script and the bench show in their options.

Light on purpose (standard library only): `milestones --help` reads these without loading the generator
(numpy, pyarrow).
"""

from __future__ import annotations

from datetime import date

# Fixed so that runs repeat: the sample's last day of data.
DEFAULT_END_DATE = date(2026, 9, 30)

# How the event landing files are written: "mixed" (a JSON Lines file per chunk of accounts, the last one
# Parquet) or "parquet" (Parquet files but the first, far less disk). The same rows either way.
EVENT_FILES = ("mixed", "parquet")
DEFAULT_EVENT_FILES = EVENT_FILES[0]
