"""The landing loader: `milestones load DIR` (docs/rules.md §3) writes every landing file into the raw layer,
`<target schema>_raw` (`main_raw` on DuckDB, `<MILESTONES_PG_SCHEMA>_raw` on PostgreSQL; on Spark Parquet
files under MILESTONES_SPARK_DIR/raw that dbt registers as `<MILESTONES_SPARK_SCHEMA>_raw`, docs/rules.md
§7), that the dbt staging models read.

The raw contract:

- One table per landing-file prefix (events, accounts, renewals, milestone_overrides,
  experiment_assignments) with the data columns of RAW_TABLES, all text, then the METADATA_COLUMNS:
  `_load_id` (one per file, max+1, files of one call in sorted name order), `_file_name` (base name),
  `_file_checksum` (sha256 of the bytes), `_loaded_at` (UTC, naive), `_row_number` (1-based data row or
  line), `_raw_record`, `_load_error` (NULL when the row was readable). `_loads` has one row per loaded
  file, written in the file's transaction.
- JSONL: `_raw_record` is the line as landed (without its line end). A JSON string value arrives
  unescaped; any other JSON value as its compact JSON text as DuckDB writes it (`{"a": 1}` -> `{"a":1}`,
  `5` -> `5`, `1.50` -> `1.5`); JSON null and a missing key are NULL. A line that is not a JSON object keeps
  its text with NULL data columns and a `_load_error` (`line is blank`, `line is not valid JSON`,
  `line is a JSON array|string|number|boolean|null, not an object`, `line is not valid UTF-8` - then
  `_raw_record` shows the bad bytes as \\xNN). Blank lines at the very end of a file are not rows.
- CSV: columns by header name (case-insensitive; others only in `_raw_record`, missing ones NULL).
  An empty field is NULL in the data columns (quoted or not) and "" in `_raw_record`, a JSON object of
  the row's fields as text. A record with the wrong number of fields (`CSV row has 9 fields, expected 7`)
  or a broken quote keeps the record's text as `_raw_record`, with NULL data columns.
- Parquet: strings as they are, nested values as JSON text, other values cast to text (timestamps as
  `2026-03-01 10:00:00`); `_raw_record` is a JSON object of the row.
"""

from milestones.load.landing import LOADS_COLUMNS, METADATA_COLUMNS, RAW_TABLES
from milestones.load.loader import FileResult, LoadSummary, load_directory

__all__ = ["LOADS_COLUMNS", "METADATA_COLUMNS", "RAW_TABLES", "FileResult", "LoadSummary", "load_directory"]
