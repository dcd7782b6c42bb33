"""The hand-written reference: the product's whole path, from landing files to fct_account_milestones, in
one DuckDB process.

It reads what `milestones load` reads (a landing folder: CSV, JSON Lines and Parquet, gzipped or not) and
the seed CSVs, and computes two things the product also computes:

1. the quarantine reason of every landed event row (int_events__contract_checked.violation_reason, null
   for a valid row), keyed by file name and row number in the file;
2. every row of fct_account_milestones: completion (criteria, depends_on, CSM overrides), the milestone
   clock, the segment baselines and the stall rule, as of a date.

It is written from docs/rules.md (§3 landing files, §4 seeds, §5 the contract, §6 the milestone fields),
not from the product's code: it imports neither the loader nor dbt, and each step is one CTE or one
statement. The bench times it (reading and parsing the files included) and then checks it row for row
against the product's tables (milestones.bench.reference_check).

What it leaves out, because the bench's landing folders never hold it: the loader's own recovery of
lines DuckDB's CSV reader refuses in a JSON Lines file (invalid UTF-8, a line longer than 16 MB), a lone
carriage return in a CSV file, and the exact load time the product uses for an event without received_at
(the reference uses its own start time; both are long after any generated event).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from milestones.warehouse import DEFAULT_MEMORY_LIMIT  # the same settings as the product's runs

# The fields of each landing file kind (docs/rules.md §3); the renewals and experiment assignments do not
# reach fct_account_milestones, so they are not read.
FIELDS = {
    "events": ("event_id", "account_id", "user_id", "event_name", "occurred_at", "received_at", "properties"),
    "accounts": ("account_id", "account_name", "segment", "signup_at", "arr", "crm_id", "owner"),
    "milestone_overrides": ("account_id", "milestone_id", "completed_at", "marked_by", "note"),
}
KINDS = (*FIELDS, "renewals", "experiment_assignments")  # every prefix, so that each file finds its kind
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}

# The columns of fct_account_milestones, in its order.
MILESTONE_COLUMNS = (
    "account_id",
    "segment",
    "milestone_id",
    "sequence",
    "status",
    "completed_at",
    "completion_source",
    "days_from_signup",
    "days_from_previous",
    "is_stalled",
    "days_overdue",
    "days_waiting",
    "target_days",
    "stall_threshold_days",
    "stall_threshold_source",
    "clock_started_at",
    "product_completed_at",
    "overridden_at",
)
EVENT_CHECK_COLUMNS = ("file_name", "file_row_number", "violation_reason")
EVENT_CHECKS, ACCOUNT_MILESTONES = "event_checks", "account_milestones"


@dataclass(frozen=True)
class LandingFile:
    path: Path
    kind: str
    format: str
    load_order: int  # the loader loads a folder in sorted name order


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def utc(text: str) -> str:
    """ISO 8601 text to a naive UTC timestamp, null when unreadable (no offset means UTC: the session
    time zone is UTC)."""
    return f"timezone('UTC', try_cast({text} AS TIMESTAMPTZ))"


def connect():  # -> duckdb.DuckDBPyConnection
    """A plain in-memory DuckDB with the settings the product's profile reads from the environment."""
    import duckdb

    config = {"memory_limit": os.environ.get("MILESTONES_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT}
    if os.environ.get("MILESTONES_DUCKDB_THREADS"):
        config["threads"] = os.environ["MILESTONES_DUCKDB_THREADS"]
    if os.environ.get("MILESTONES_DUCKDB_TEMP_DIRECTORY"):
        config["temp_directory"] = os.environ["MILESTONES_DUCKDB_TEMP_DIRECTORY"]
    connection = duckdb.connect(config=config)
    connection.execute("SET TimeZone = 'UTC'; SET enable_progress_bar = false")
    return connection


# ------------------------------------------------------------------------------------ landing files
def landing_files(folder: Path) -> list[LandingFile]:
    """The folder's landing files in load order. A file whose bytes equal an earlier file of the same kind
    is left out: the loader skips content it has loaded before."""
    found: list[LandingFile] = []
    seen: dict[tuple[str, int], list[Path]] = {}  # (kind, size) -> files: only equal sizes are hashed
    for path in sorted(Path(folder).iterdir(), key=lambda p: p.name):
        name = path.name.lower()
        if name.startswith(("_", ".")) or not path.is_file():
            continue
        kind = next((k for k in sorted(KINDS, key=len, reverse=True) if name.startswith(k)), None)
        suffix = name.removesuffix(".gz")
        file_format = next((f for s, f in FORMATS.items() if suffix.endswith(s)), None)
        if kind is None or file_format is None or (file_format == "parquet" and name.endswith(".gz")):
            raise ValueError(f"not a landing file: {path.name}")
        same_size = seen.setdefault((kind, path.stat().st_size), [])
        if any(_digest(path) == _digest(other) for other in same_size):
            continue
        same_size.append(path)
        if kind in FIELDS:
            found.append(LandingFile(path, kind, file_format, len(found) + 1))
    return found


def _digest(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def read_file(connection, landing: LandingFile) -> str | None:
    """A SELECT of the file's rows: its kind's fields as text (null when empty or absent), file_name,
    load_order, file_row_number (line of a JSON Lines file, record after the header of a CSV file, row of
    a Parquet file, from 1) and malformed (the row could not be read: docs/rules.md §3). None for a CSV
    file without even a header."""
    fields = FIELDS[landing.kind]
    meta = f"{sql_text(landing.path.name)} AS file_name, {landing.load_order} AS load_order"
    if landing.format == "parquet":
        source = f"read_parquet({sql_text(str(landing.path))}, file_row_number = true)"
        types = {row[0]: row[1] for row in connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        types.pop("file_row_number")
        by_name = {name.lower(): name for name in reversed(list(types))}  # the first column of a name wins

        def column(field: str) -> str:
            if field not in by_name:
                return "NULL"
            quoted, kind = '"' + by_name[field].replace('"', '""') + '"', types[by_name[field]]
            # nested values as their JSON text, anything else as text
            nested = kind.startswith(("STRUCT", "MAP", "UNION")) or kind.endswith("]")
            return f"CAST(to_json({quoted}) AS VARCHAR)" if nested else f"CAST({quoted} AS VARCHAR)"

        columns = ", ".join(f"nullif({column(f)}, '') AS {f}" for f in fields)
        row = "file_row_number + 1 AS file_row_number, false AS malformed"
        return f"SELECT {columns}, {meta}, {row} FROM {source}"
    if landing.format == "jsonl":
        return _read_jsonl(landing, fields, meta)
    return _read_csv(connection, landing, fields, meta)


def _read_jsonl(landing: LandingFile, fields: tuple[str, ...], meta: str) -> str:
    # One line, one value: a CSV read with a delimiter and no quote that JSON never holds raw.
    lines = (
        f"read_csv({sql_text(str(landing.path))}, columns = {{'line': 'VARCHAR'}}, header = false, "
        "auto_detect = false, delim = chr(1), quote = '', escape = '', new_line = '\\n')"
    )
    # DuckDB's JSON functions accept a trailing comma and NaN / Infinity, which JSON does not: look for
    # them outside string values.
    outside_strings = r"""regexp_replace(line, '"(?:[^"\\]|\\.)*"', '""', 'g')"""
    not_json = rf"""regexp_matches({outside_strings}, ',\s*[}}\]]|[:\[,]\s*-?(?i:nan|inf)')"""
    # a string without its quotes, any other value as its JSON text, JSON null as null
    extracted = ", ".join(f"""nullif(json_extract_string(line, '$."{f}"'), '') AS {f}""" for f in fields)
    return f"""
        WITH numbered AS (SELECT row_number() OVER () AS file_row_number, coalesce(line, '') AS line
                          FROM {lines}),
        -- blank lines at the end of the file are an editor's, not rows
        last_row AS (SELECT coalesce(max(file_row_number), 0) AS last FROM numbered
                     WHERE trim(line, ' ' || chr(9) || chr(13)) != ''),
        parsed AS (
            SELECT file_row_number, line,
                coalesce(
                    CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' AND NOT {not_json} END, false
                ) AS is_object
            FROM numbered WHERE file_row_number <= (SELECT last FROM last_row)
        )
        SELECT {extracted}, {meta}, file_row_number, false AS malformed FROM parsed WHERE is_object
        UNION ALL
        SELECT {", ".join(f"NULL AS {f}" for f in fields)}, {meta}, file_row_number, true AS malformed
        FROM parsed WHERE NOT is_object
    """


def _read_csv(connection, landing: LandingFile, fields: tuple[str, ...], meta: str) -> str | None:
    header, delimiter = _csv_header(landing.path)
    if not header:
        return None
    position = {}
    for i, name in enumerate(header, start=1):
        position.setdefault(name.strip().lower(), i)
    table = f"rejects_{landing.load_order}"
    # Records with the wrong number of fields are kept aside by the reader (its rejects table), then come
    # back as malformed rows at their place in the file.
    connection.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT row_number() OVER () AS good_row, *
        FROM read_csv({sql_text(str(landing.path))}, header = true, auto_detect = false,
            columns = {{{", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, len(header) + 1))}}},
            delim = {sql_text(delimiter)}, quote = '"', escape = '"', strict_mode = true,
            ignore_errors = true, store_rejects = true, rejects_table = '{table}_errors',
            rejects_scan = '{table}_scans')
    """)
    # a rejected record's line (the header is line 1) is its record number + 1 when no field spans lines
    rejected = [
        row[0] - 1
        for row in connection.execute(f"SELECT DISTINCT line FROM {table}_errors ORDER BY 1").fetchall()
    ]
    # the k-th good record is record k + (rejected records r_j, j-th of them, with r_j - j < k)
    shift = " + ".join(f"(good_row > {r - j})::INT" for j, r in enumerate(rejected, start=1)) or "0"
    columns = ", ".join(
        f"nullif(c{position[f]}, '') AS {f}" if f in position else f"NULL AS {f}" for f in fields
    )
    good = f"SELECT {columns}, {meta}, good_row + {shift} AS file_row_number, false AS malformed FROM {table}"
    bad = [
        "SELECT "
        + ", ".join(f"NULL AS {f}" for f in fields)
        + f", {meta}, {r} AS file_row_number, true AS malformed"
        for r in rejected
    ]
    return " UNION ALL ".join([good, *bad])


def _csv_header(path: Path) -> tuple[list[str], str]:
    """The header record and the delimiter: a comma, else the tab, semicolon or pipe the header holds."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")
        first = text.readline()
        if not first.strip():
            return [], ","
        counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
        delimiter = "," if counts[","] or not any(counts.values()) else max(counts, key=counts.__getitem__)
        record = first if first.count('"') % 2 == 0 else first + text.read(1 << 20)
        return next(csv.reader(io.StringIO(record), delimiter=delimiter), []), delimiter


def land(connection, folder: Path) -> dict[str, int]:
    """One temp table per file kind, landed_<kind>, with every row of every file of that kind."""
    files = landing_files(folder)
    rows = {}
    for kind, fields in FIELDS.items():
        selects = [select for f in files if f.kind == kind and (select := read_file(connection, f))]
        # a kind without files is an empty table of the same columns
        empty = "SELECT " + ", ".join(f"NULL::VARCHAR AS {f}" for f in (*fields, "file_name"))
        empty += ", 0 AS load_order, 0::BIGINT AS file_row_number, false AS malformed WHERE false"
        union = " UNION ALL BY NAME ".join(f"({s})" for s in selects) or empty
        connection.execute(f"CREATE OR REPLACE TEMP TABLE landed_{kind} AS {union}")
        rows[kind] = connection.execute(f"SELECT count(*) FROM landed_{kind}").fetchone()[0]
    return rows


# ------------------------------------------------------------------------------------ seeds
SEEDS = {
    "tracking_plan_events": {},
    "tracking_plan_properties": {"required": "BOOLEAN"},
    "milestones": {"sequence": "INTEGER", "target_days": "INTEGER"},
    "milestone_criteria": {"threshold": "INTEGER"},
    "segment_settings": {"min_peer_completions": "INTEGER", "backtest_days_before_renewal": "INTEGER"},
}


def read_seeds(connection, seeds: Path) -> None:
    """The five seeds the milestone tables need, as tables of their names; text except a few numbers."""
    for name, types in SEEDS.items():
        path = Path(seeds) / f"{name}.csv"
        with path.open(encoding="utf-8-sig", newline="") as file:
            header = next(csv.reader(file))
        columns = ", ".join(f"'{c}': '{types.get(c, 'VARCHAR')}'" for c in header)
        connection.execute(f"""
            CREATE OR REPLACE TEMP TABLE {name} AS
            SELECT * FROM read_csv({sql_text(str(path))}, header = true, auto_detect = false,
                columns = {{{columns}}}, quote = '"', escape = '"')
        """)


# ------------------------------------------------------------------------------------ the contract
def current_accounts(connection) -> None:
    """accounts (docs/rules.md §3): a landed row is used unless it is unreadable, lacks account_id,
    segment or signup_at, has an unreadable signup_at or arr, or a later row of its file has the same
    account_id; an account is its latest used row (latest file, then last row)."""
    connection.execute(f"""
        CREATE OR REPLACE TEMP TABLE accounts AS
        WITH landed AS (
            SELECT trim(account_id) AS account_id, lower(trim(segment)) AS segment,
                {utc("trim(signup_at)")} AS signed_up_at, trim(arr) AS arr,
                malformed, load_order, file_row_number
            FROM landed_accounts
        ),
        used AS (
            SELECT * FROM landed
            WHERE NOT malformed AND nullif(account_id, '') IS NOT NULL AND nullif(segment, '') IS NOT NULL
                AND signed_up_at IS NOT NULL
                AND (nullif(arr, '') IS NULL OR try_cast(arr AS DECIMAL(28, 6)) IS NOT NULL)
            QUALIFY row_number() OVER (PARTITION BY load_order, account_id ORDER BY file_row_number DESC) = 1
        )
        SELECT account_id, segment, signed_up_at FROM used
        QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY load_order DESC, file_row_number DESC) = 1
    """)


def check_events(connection, loaded_at: datetime) -> None:
    """event_checks: every landed event row with the first rule of docs/rules.md §5 it breaks (null when
    none), and the typed fields of the row."""
    connection.execute(f"""
    CREATE OR REPLACE TEMP TABLE {EVENT_CHECKS} AS
    WITH
    events AS (
        SELECT file_name, file_row_number, load_order, malformed,
            nullif(trim(event_id), '') AS event_id, nullif(trim(account_id), '') AS account_id,
            nullif(trim(user_id), '') AS user_id, nullif(trim(event_name), '') AS event_name,
            nullif(trim(occurred_at), '') AS occurred_text,
            {utc("nullif(trim(occurred_at), '')")} AS occurred_at,
            nullif(trim(received_at), '') AS received_text,
            {utc("nullif(trim(received_at), '')")} AS received_at,
            -- empty properties count as an empty object
            coalesce(nullif(trim(properties), ''), '{{}}') AS properties_text
        FROM landed_events
    ),
    -- rules 1 and 2 keep a row out of everything after them: unreadable, or a field every event needs
    -- is empty
    readable AS (
        SELECT *,
            CASE WHEN json_valid(properties_text) THEN CAST(properties_text AS JSON) END AS properties,
            -- the load time stands in for a missing received_at
            coalesce(received_at, TIMESTAMP '{loaded_at.isoformat(sep=" ")}') AS arrived_at
        FROM events
        WHERE NOT malformed AND event_id IS NOT NULL AND account_id IS NOT NULL
            AND event_name IS NOT NULL AND occurred_text IS NOT NULL
    ),
    -- rule 3: the first copy of an event id by arrival, then load order, wins
    copies AS (
        SELECT file_name, file_row_number, row_number() OVER (
            PARTITION BY event_id ORDER BY arrived_at, load_order, file_row_number) AS copy
        FROM readable
    ),
    -- rules 7 to 9, per planned property of the event: the JSON kind of its value, then its text
    property_values AS (
        SELECT r.file_name, r.file_row_number, p.type, p.required, '|' || p.allowed_values || '|' AS allowed,
            CASE json_type(r.properties, '$."' || p.property || '"')
                WHEN 'VARCHAR' THEN 'string' WHEN 'BIGINT' THEN 'integer' WHEN 'UBIGINT' THEN 'integer'
                WHEN 'HUGEINT' THEN 'integer' WHEN 'DOUBLE' THEN 'number' WHEN 'BOOLEAN' THEN 'boolean'
                WHEN 'NULL' THEN 'null' WHEN 'OBJECT' THEN 'object' WHEN 'ARRAY' THEN 'array'
                ELSE 'missing' END AS kind,
            json_extract_string(r.properties, '$."' || p.property || '"') AS value
        FROM readable AS r
        INNER JOIN tracking_plan_properties AS p ON r.event_name = p.event_name
        WHERE json_type(r.properties) = 'OBJECT'
    ),
    -- a row breaking several property rules gets the lowest
    property_rules AS (
        SELECT file_name, file_row_number, min(CASE
            WHEN kind IN ('missing', 'null') THEN CASE WHEN required THEN 7 END
            WHEN type = 'integer' AND kind != 'integer' THEN 8
            WHEN type = 'number' AND kind NOT IN ('integer', 'number') THEN 8
            WHEN type IN ('string', 'boolean') AND kind != type THEN 8
            WHEN type = 'timestamp' AND (kind != 'string' OR {utc("value")} IS NULL) THEN 8
            WHEN allowed IS NOT NULL AND position('|' || value || '|' IN allowed) = 0 THEN 9
        END) AS rule
        FROM property_values
        GROUP BY ALL
    )
    SELECT e.file_name, e.file_row_number,
        CASE
            WHEN e.malformed THEN 'malformed_record'
            WHEN r.file_name IS NULL THEN 'missing_required_field'
            WHEN c.copy > 1 THEN 'duplicate_event_id'
            WHEN r.occurred_at IS NULL OR r.occurred_at > r.arrived_at + INTERVAL 1 DAY
                OR (r.received_text IS NOT NULL AND r.received_at IS NULL) THEN 'invalid_timestamp'
            WHEN coalesce(json_type(r.properties), '') != 'OBJECT' THEN 'malformed_properties'
            WHEN r.event_name NOT IN (SELECT event_name FROM tracking_plan_events) THEN 'unknown_event'
            WHEN p.rule = 7 THEN 'missing_required_property'
            WHEN p.rule = 8 THEN 'invalid_property_type'
            WHEN p.rule = 9 THEN 'invalid_property_value'
            WHEN a.account_id IS NULL THEN 'unknown_account'
        END AS violation_reason,
        r.event_id, r.account_id, a.segment, r.user_id, r.event_name, r.occurred_at, r.properties
    FROM events AS e
    LEFT JOIN readable AS r USING (file_name, file_row_number)
    LEFT JOIN copies AS c USING (file_name, file_row_number)
    LEFT JOIN property_rules AS p USING (file_name, file_row_number)
    LEFT JOIN accounts AS a ON r.account_id = a.account_id
    """)


# ------------------------------------------------------------------------------------ the milestones
def meet_criteria(connection) -> None:
    """criteria_met: when each account met each criterion (docs/rules.md §4), at the event that brings its
    measure to the threshold, events in (occurred_at, event_id) order. Independent of the as-of date."""
    connection.execute("""
    CREATE OR REPLACE TEMP TABLE criteria_met AS
    WITH
    criteria AS (
        SELECT segment, milestone_id, criterion_id, trim(event_name) AS event_name,
            nullif(trim(filter_property), '') AS filter_property,
            '|' || filter_values || '|' AS filter_values,
            lower(trim(measure)) AS measure, nullif(trim(distinct_property), '') AS distinct_property,
            nullif(trim(group_by_property), '') AS group_by_property, threshold
        FROM milestone_criteria
    ),
    valid_events AS (
        SELECT * FROM event_checks WHERE violation_reason IS NULL
    ),
    -- an event matches the criteria of its account's segment that name it, and those of any event ('*')
    matches AS (
        SELECT e.*, c.* EXCLUDE (segment, event_name)
        FROM valid_events AS e
        INNER JOIN criteria AS c
            ON e.segment = c.segment AND (c.event_name = e.event_name OR c.event_name = '*')
    ),
    -- what each event contributes: its group ('' without a group; events without the property do not
    -- count) and, for a distinct measure, its value
    measured AS (
        SELECT account_id, milestone_id, criterion_id, measure, threshold, event_id, occurred_at,
            CASE WHEN group_by_property IS NULL THEN ''
                ELSE json_extract_string(properties, '$."' || group_by_property || '"') END AS group_value,
            CASE WHEN distinct_property = 'user_id' THEN user_id
                ELSE json_extract_string(properties, '$."' || distinct_property || '"') END AS distinct_value
        FROM matches
        WHERE filter_property IS NULL
            OR position('|' || json_extract_string(properties, '$."' || filter_property || '"') || '|'
                        IN filter_values) > 0
    ),
    -- a count takes every event; a distinct count only the first event of each value
    contributing AS (
        SELECT * FROM measured
        WHERE group_value IS NOT NULL
            AND (measure = 'count' OR (measure = 'distinct' AND distinct_value IS NOT NULL))
        QUALIFY measure = 'count' OR row_number() OVER (
            PARTITION BY account_id, milestone_id, criterion_id, group_value, distinct_value
            ORDER BY occurred_at, event_id) = 1
    ),
    running AS (
        SELECT *, row_number() OVER (
            PARTITION BY account_id, milestone_id, criterion_id, group_value ORDER BY occurred_at, event_id
        ) AS measure_value
        FROM contributing
    )
    -- met in the first group to reach the threshold
    SELECT account_id, milestone_id, criterion_id, min(occurred_at) AS met_at
    FROM running
    WHERE measure_value = threshold
    GROUP BY ALL
    """)


def apply_overrides(connection) -> None:
    """overrides: the CSM overrides in force (docs/rules.md §3): readable, a known account, a milestone of
    its segment; of one file's rows for the same account and milestone the earliest counts."""
    connection.execute(f"""
    CREATE OR REPLACE TEMP TABLE overrides AS
    SELECT o.account_id, o.milestone_id, o.completed_at, o.load_order
    FROM (
        SELECT trim(account_id) AS account_id, trim(milestone_id) AS milestone_id,
            {utc("trim(completed_at)")} AS completed_at, load_order, file_row_number, malformed
        FROM landed_milestone_overrides
    ) AS o
    INNER JOIN accounts AS a ON o.account_id = a.account_id
    INNER JOIN milestones AS m ON a.segment = m.segment AND o.milestone_id = m.milestone_id
    WHERE NOT o.malformed AND o.completed_at IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY o.load_order, o.account_id, o.milestone_id
        ORDER BY o.completed_at, o.file_row_number) = 1
    """)


def complete_milestones(connection, as_of: date) -> None:
    """completions: per account (signed up by the as-of date) and milestone of its segment, as of the date
    (docs/rules.md §6). Product completion = the latest of its criteria's met-at and its depends_on
    milestones' completions; completed_at = the earlier of that and the earliest override. A dependency
    has a lower sequence, so the milestones are completed one sequence at a time."""
    day = f"DATE '{as_of.isoformat()}'"
    connection.execute(f"""
    CREATE OR REPLACE TEMP TABLE account_milestone_facts AS
    WITH
    criteria_counts AS (
        SELECT segment, milestone_id, count(*) AS criteria FROM milestone_criteria GROUP BY ALL
    ),
    met AS (
        SELECT account_id, milestone_id, count(*) AS criteria, max(met_at) AS met_at
        FROM criteria_met WHERE CAST(met_at AS DATE) <= {day} GROUP BY ALL
    ),
    overridden AS (
        SELECT account_id, milestone_id, min(completed_at) AS overridden_at
        FROM overrides WHERE CAST(completed_at AS DATE) <= {day} GROUP BY ALL
    )
    SELECT a.account_id, a.segment, a.signed_up_at, m.milestone_id, m.sequence, m.target_days,
        -- all of the milestone's criteria met, by the as-of date
        CASE WHEN met.criteria = counts.criteria THEN met.met_at END AS criteria_met_at,
        overridden.overridden_at
    FROM accounts AS a
    INNER JOIN milestones AS m ON a.segment = m.segment
    INNER JOIN criteria_counts AS counts
        ON m.segment = counts.segment AND m.milestone_id = counts.milestone_id
    LEFT JOIN met ON a.account_id = met.account_id AND m.milestone_id = met.milestone_id
    LEFT JOIN overridden ON a.account_id = overridden.account_id AND m.milestone_id = overridden.milestone_id
    WHERE CAST(a.signed_up_at AS DATE) <= {day}
    """)
    connection.execute("""
    CREATE OR REPLACE TEMP TABLE dependencies AS
    -- depends_on is a |-separated list of milestone ids of the same segment
    SELECT m.segment, m.milestone_id, prerequisite.milestone_id AS depends_on
    FROM (SELECT segment, milestone_id, unnest(string_split(replace(depends_on, ' ', ''), '|')) AS listed
          FROM milestones) AS m
    INNER JOIN milestones AS prerequisite
        ON m.segment = prerequisite.segment AND m.listed = prerequisite.milestone_id
    """)
    connection.execute("""
    CREATE OR REPLACE TEMP TABLE completions (
        account_id VARCHAR, milestone_id VARCHAR, product_completed_at TIMESTAMP, completed_at TIMESTAMP)
    """)
    (sequences,) = connection.execute("SELECT coalesce(max(sequence), 0) FROM milestones").fetchone()
    for sequence in range(1, sequences + 1):
        connection.execute(f"""
        INSERT INTO completions
        WITH
        prerequisites AS (
            SELECT f.account_id, f.milestone_id, count(*) AS prerequisites,
                count(c.completed_at) AS completed,
                max(c.completed_at) AS latest
            FROM account_milestone_facts AS f
            INNER JOIN dependencies AS d ON f.segment = d.segment AND f.milestone_id = d.milestone_id
            LEFT JOIN completions AS c ON f.account_id = c.account_id AND d.depends_on = c.milestone_id
            WHERE f.sequence = {sequence}
            GROUP BY ALL
        ),
        product AS (
            SELECT f.account_id, f.milestone_id, f.overridden_at,
                CASE
                    WHEN f.criteria_met_at IS NULL THEN NULL
                    WHEN p.account_id IS NULL THEN f.criteria_met_at
                    WHEN p.completed = p.prerequisites THEN greatest(f.criteria_met_at, p.latest)
                END AS product_completed_at
            FROM account_milestone_facts AS f
            LEFT JOIN prerequisites AS p USING (account_id, milestone_id)
            WHERE f.sequence = {sequence}
        )
        -- least skips nulls in DuckDB: the earlier of the two where both are known
        SELECT account_id, milestone_id, product_completed_at, least(product_completed_at, overridden_at)
        FROM product
        """)


def account_milestones(connection, as_of: date) -> None:
    """account_milestones: fct_account_milestones (docs/rules.md §6) from the completions: status, the
    milestone clock, the segment baselines and the stall rule."""
    day = f"DATE '{as_of.isoformat()}'"
    connection.execute(f"""
    CREATE OR REPLACE TEMP TABLE {ACCOUNT_MILESTONES} AS
    WITH
    completed AS (
        SELECT f.*, c.product_completed_at, c.completed_at,
            CASE WHEN c.completed_at IS NULL THEN NULL
                -- a tie goes to the product
                WHEN c.product_completed_at <= c.completed_at THEN 'product' ELSE 'csm'
            END AS completion_source
        FROM account_milestone_facts AS f
        INNER JOIN completions AS c USING (account_id, milestone_id)
    ),
    -- the clock starts at the previous-sequence milestone's completion (signup for sequence 1); the
    -- active milestone is the lowest-sequence incomplete one
    clocked AS (
        SELECT this.*,
            CASE WHEN this.sequence = 1 THEN this.signed_up_at ELSE previous.completed_at END
                AS clock_started_at,
            CASE WHEN this.completed_at IS NOT NULL THEN 'completed'
                WHEN this.sequence = min(CASE WHEN this.completed_at IS NULL THEN this.sequence END)
                    OVER (PARTITION BY this.account_id) THEN 'active'
                ELSE 'pending' END AS status
        FROM completed AS this
        LEFT JOIN completed AS previous
            ON this.account_id = previous.account_id AND previous.sequence = this.sequence - 1
    ),
    -- whole UTC days: differences of UTC dates
    timed AS (
        SELECT *,
            date_diff('day', CAST(signed_up_at AS DATE), CAST(completed_at AS DATE)) AS days_from_signup,
            date_diff('day', CAST(clock_started_at AS DATE), CAST(completed_at AS DATE))
                AS days_from_previous,
            CASE WHEN status = 'active' THEN date_diff('day', CAST(clock_started_at AS DATE), {day}) END
                AS days_waiting
        FROM clocked
    ),
    -- segment_settings: a row without a segment, or a segment listed twice, is ignored; so is a value
    -- outside the seed's rules (the default stands in)
    settings AS (
        SELECT segment,
            CASE WHEN stall_baseline IN ('target_days', 'peer_p75') THEN stall_baseline END AS stall_baseline,
            CASE WHEN min_peer_completions >= 0 THEN min_peer_completions END AS min_peer_completions
        FROM segment_settings
        WHERE segment IS NOT NULL
        QUALIFY count(*) OVER (PARTITION BY segment) = 1
    ),
    -- the peers' pace: p75 of days from the previous milestone (a negative one counts as 0)
    peers AS (
        SELECT segment, milestone_id, count(days_from_previous) AS timed,
            quantile_cont(CASE WHEN days_from_previous < 0 THEN 0 ELSE days_from_previous END, 0.75) AS p75
        FROM timed GROUP BY ALL
    ),
    thresholds AS (
        SELECT m.segment, m.milestone_id,
            coalesce(s.stall_baseline, 'target_days') = 'peer_p75'
                AND coalesce(peers.timed, 0) >= coalesce(s.min_peer_completions, 0)
                AND peers.p75 IS NOT NULL AS by_peers,
            CASE WHEN by_peers THEN CAST(ceil(peers.p75) AS INTEGER) ELSE m.target_days END AS days
        FROM milestones AS m
        LEFT JOIN settings AS s ON m.segment = s.segment
        LEFT JOIN peers ON m.segment = peers.segment AND m.milestone_id = peers.milestone_id
    )
    SELECT t.account_id, t.segment, t.milestone_id, t.sequence, t.status, t.completed_at, t.completion_source,
        t.days_from_signup, t.days_from_previous,
        coalesce(t.days_waiting > h.days, false) AS is_stalled,
        CASE WHEN t.days_waiting > h.days THEN t.days_waiting - h.days ELSE 0 END AS days_overdue,
        t.days_waiting, t.target_days, h.days AS stall_threshold_days,
        CASE WHEN h.by_peers THEN 'peer_p75' ELSE 'target_days' END AS stall_threshold_source,
        t.clock_started_at, t.product_completed_at, t.overridden_at
    FROM timed AS t
    INNER JOIN thresholds AS h ON t.segment = h.segment AND t.milestone_id = h.milestone_id
    """)


# ------------------------------------------------------------------------------------ the pipeline
def run_reference(connection, landing: Path, seeds: Path, as_of: date) -> dict[str, int]:
    """The whole path on `connection`; leaves the tables event_checks and account_milestones. Returns
    the rows landed per file kind."""
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    read_seeds(connection, seeds)
    landed = land(connection, landing)
    current_accounts(connection)
    check_events(connection, loaded_at)
    meet_criteria(connection)
    apply_overrides(connection)
    complete_milestones(connection, as_of)
    account_milestones(connection, as_of)
    return landed


def write_outputs(connection, out: Path) -> dict[str, int]:
    """The two outputs as Parquet files in `out` (event_checks.parquet, account_milestones.parquet), for
    the comparison with the product; returns their rows."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = {}
    for table, columns in ((EVENT_CHECKS, EVENT_CHECK_COLUMNS), (ACCOUNT_MILESTONES, MILESTONE_COLUMNS)):
        path = sql_text(str(out / f"{table}.parquet"))
        connection.execute(f"COPY (SELECT {', '.join(columns)} FROM {table}) TO {path} (FORMAT parquet)")
        rows[table] = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return rows
