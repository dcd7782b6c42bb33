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
    return f"timezone('UTC', try_cast({text} as timestamptz))"


def connect():  # -> duckdb.DuckDBPyConnection
    """A plain in-memory DuckDB with the settings the product's profile reads from the environment."""
    import duckdb

    config = {"memory_limit": os.environ.get("MILESTONES_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT}
    if os.environ.get("MILESTONES_DUCKDB_THREADS"):
        config["threads"] = os.environ["MILESTONES_DUCKDB_THREADS"]
    if os.environ.get("MILESTONES_DUCKDB_TEMP_DIRECTORY"):
        config["temp_directory"] = os.environ["MILESTONES_DUCKDB_TEMP_DIRECTORY"]
    connection = duckdb.connect(config=config)
    connection.execute("set TimeZone = 'UTC'; set enable_progress_bar = false")
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
    """A select of the file's rows: its kind's fields as text (null when empty or absent), file_name,
    load_order, file_row_number (line of a JSON Lines file, record after the header of a CSV file, row of
    a Parquet file, from 1) and malformed (the row could not be read: docs/rules.md §3). None for a CSV
    file without even a header."""
    fields = FIELDS[landing.kind]
    meta = f"{sql_text(landing.path.name)} as file_name, {landing.load_order} as load_order"
    if landing.format == "parquet":
        source = f"read_parquet({sql_text(str(landing.path))}, file_row_number = true)"
        types = {row[0]: row[1] for row in connection.execute(f"describe select * from {source}").fetchall()}
        types.pop("file_row_number")
        by_name = {name.lower(): name for name in reversed(list(types))}  # the first column of a name wins

        def column(field: str) -> str:
            if field not in by_name:
                return "null"
            quoted, kind = '"' + by_name[field].replace('"', '""') + '"', types[by_name[field]]
            # nested values as their JSON text, anything else as text
            nested = kind.startswith(("STRUCT", "MAP", "UNION")) or kind.endswith("]")
            return f"cast(to_json({quoted}) as varchar)" if nested else f"cast({quoted} as varchar)"

        columns = ", ".join(f"nullif({column(f)}, '') as {f}" for f in fields)
        row = "file_row_number + 1 as file_row_number, false as malformed"
        return f"select {columns}, {meta}, {row} from {source}"
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
    extracted = ", ".join(f"""nullif(json_extract_string(line, '$."{f}"'), '') as {f}""" for f in fields)
    return f"""
        with numbered as (select row_number() over () as file_row_number, coalesce(line, '') as line
                          from {lines}),
        -- blank lines at the end of the file are an editor's, not rows
        last_row as (select coalesce(max(file_row_number), 0) as last from numbered
                     where trim(line, ' ' || chr(9) || chr(13)) != ''),
        parsed as (
            select file_row_number, line,
                coalesce(
                    case when json_valid(line) then json_type(line) = 'OBJECT' and not {not_json} end, false
                ) as is_object
            from numbered where file_row_number <= (select last from last_row)
        )
        select {extracted}, {meta}, file_row_number, false as malformed from parsed where is_object
        union all
        select {", ".join(f"null as {f}" for f in fields)}, {meta}, file_row_number, true as malformed
        from parsed where not is_object
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
        create or replace temp table {table} as
        select row_number() over () as good_row, *
        from read_csv({sql_text(str(landing.path))}, header = true, auto_detect = false,
            columns = {{{", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, len(header) + 1))}}},
            delim = {sql_text(delimiter)}, quote = '"', escape = '"', strict_mode = true,
            ignore_errors = true, store_rejects = true, rejects_table = '{table}_errors',
            rejects_scan = '{table}_scans')
    """)
    # a rejected record's line (the header is line 1) is its record number + 1 when no field spans lines
    rejected = [
        row[0] - 1
        for row in connection.execute(f"select distinct line from {table}_errors order by 1").fetchall()
    ]
    # the k-th good record is record k + (rejected records r_j, j-th of them, with r_j - j < k)
    shift = " + ".join(f"(good_row > {r - j})::int" for j, r in enumerate(rejected, start=1)) or "0"
    columns = ", ".join(
        f"nullif(c{position[f]}, '') as {f}" if f in position else f"null as {f}" for f in fields
    )
    good = f"select {columns}, {meta}, good_row + {shift} as file_row_number, false as malformed from {table}"
    bad = [
        "select "
        + ", ".join(f"null as {f}" for f in fields)
        + f", {meta}, {r} as file_row_number, true as malformed"
        for r in rejected
    ]
    return " union all ".join([good, *bad])


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
        empty = "select " + ", ".join(f"null::varchar as {f}" for f in (*fields, "file_name"))
        empty += ", 0 as load_order, 0::bigint as file_row_number, false as malformed where false"
        union = " union all by name ".join(f"({s})" for s in selects) or empty
        connection.execute(f"create or replace temp table landed_{kind} as {union}")
        rows[kind] = connection.execute(f"select count(*) from landed_{kind}").fetchone()[0]
    return rows


# ------------------------------------------------------------------------------------ seeds
SEEDS = {
    "tracking_plan_events": {},
    "tracking_plan_properties": {"required": "boolean"},
    "milestones": {"sequence": "integer", "target_days": "integer"},
    "milestone_criteria": {"threshold": "integer"},
    "segment_settings": {"min_peer_completions": "integer", "backtest_days_before_renewal": "integer"},
}


def read_seeds(connection, seeds: Path) -> None:
    """The five seeds the milestone tables need, as tables of their names; text except a few numbers."""
    for name, types in SEEDS.items():
        path = Path(seeds) / f"{name}.csv"
        with path.open(encoding="utf-8-sig", newline="") as file:
            header = next(csv.reader(file))
        columns = ", ".join(f"'{c}': '{types.get(c, 'varchar')}'" for c in header)
        connection.execute(f"""
            create or replace temp table {name} as
            select * from read_csv({sql_text(str(path))}, header = true, auto_detect = false,
                columns = {{{columns}}}, quote = '"', escape = '"')
        """)


# ------------------------------------------------------------------------------------ the contract
def current_accounts(connection) -> None:
    """accounts (docs/rules.md §3): a landed row is used unless it is unreadable, lacks account_id,
    segment or signup_at, has an unreadable signup_at or arr, or a later row of its file has the same
    account_id; an account is its latest used row (latest file, then last row)."""
    connection.execute(f"""
        create or replace temp table accounts as
        with landed as (
            select trim(account_id) as account_id, lower(trim(segment)) as segment,
                {utc("trim(signup_at)")} as signed_up_at, trim(arr) as arr,
                malformed, load_order, file_row_number
            from landed_accounts
        ),
        used as (
            select * from landed
            where not malformed and nullif(account_id, '') is not null and nullif(segment, '') is not null
                and signed_up_at is not null
                and (nullif(arr, '') is null or try_cast(arr as decimal(28, 6)) is not null)
            qualify row_number() over (partition by load_order, account_id order by file_row_number desc) = 1
        )
        select account_id, segment, signed_up_at from used
        qualify row_number() over (partition by account_id order by load_order desc, file_row_number desc) = 1
    """)


def check_events(connection, loaded_at: datetime) -> None:
    """event_checks: every landed event row with the first rule of docs/rules.md §5 it breaks (null when
    none), and the typed fields of the row."""
    connection.execute(f"""
    create or replace temp table {EVENT_CHECKS} as
    with
    events as (
        select file_name, file_row_number, load_order, malformed,
            nullif(trim(event_id), '') as event_id, nullif(trim(account_id), '') as account_id,
            nullif(trim(user_id), '') as user_id, nullif(trim(event_name), '') as event_name,
            nullif(trim(occurred_at), '') as occurred_text,
            {utc("nullif(trim(occurred_at), '')")} as occurred_at,
            nullif(trim(received_at), '') as received_text,
            {utc("nullif(trim(received_at), '')")} as received_at,
            -- empty properties count as an empty object
            coalesce(nullif(trim(properties), ''), '{{}}') as properties_text
        from landed_events
    ),
    -- rules 1 and 2 keep a row out of everything after them: unreadable, or a field every event needs
    -- is empty
    readable as (
        select *,
            case when json_valid(properties_text) then cast(properties_text as json) end as properties,
            -- the load time stands in for a missing received_at
            coalesce(received_at, timestamp '{loaded_at.isoformat(sep=" ")}') as arrived_at
        from events
        where not malformed and event_id is not null and account_id is not null
            and event_name is not null and occurred_text is not null
    ),
    -- rule 3: the first copy of an event id by arrival, then load order, wins
    copies as (
        select file_name, file_row_number, row_number() over (
            partition by event_id order by arrived_at, load_order, file_row_number) as copy
        from readable
    ),
    -- rules 7 to 9, per planned property of the event: the JSON kind of its value, then its text
    property_values as (
        select readable.file_name, readable.file_row_number, planned.type, planned.required,
            '|' || planned.allowed_values || '|' as allowed,
            case json_type(readable.properties, '$."' || planned.property || '"')
                when 'VARCHAR' then 'string' when 'BIGINT' then 'integer' when 'UBIGINT' then 'integer'
                when 'HUGEINT' then 'integer' when 'DOUBLE' then 'number' when 'BOOLEAN' then 'boolean'
                when 'NULL' then 'null' when 'OBJECT' then 'object' when 'ARRAY' then 'array'
                else 'missing' end as kind,
            json_extract_string(readable.properties, '$."' || planned.property || '"') as value
        from readable
        inner join tracking_plan_properties as planned on readable.event_name = planned.event_name
        where json_type(readable.properties) = 'OBJECT'
    ),
    -- a row breaking several property rules gets the lowest
    property_rules as (
        select file_name, file_row_number, min(case
            when kind in ('missing', 'null') then case when required then 7 end
            when type = 'integer' and kind != 'integer' then 8
            when type = 'number' and kind not in ('integer', 'number') then 8
            when type in ('string', 'boolean') and kind != type then 8
            when type = 'timestamp' and (kind != 'string' or {utc("value")} is null) then 8
            when allowed is not null and position('|' || value || '|' in allowed) = 0 then 9
        end) as rule
        from property_values
        group by all
    )
    select events.file_name, events.file_row_number,
        case
            when events.malformed then 'malformed_record'
            when readable.file_name is null then 'missing_required_field'
            when copies.copy > 1 then 'duplicate_event_id'
            when readable.occurred_at is null or readable.occurred_at > readable.arrived_at + interval 1 day
                or (readable.received_text is not null and readable.received_at is null)
                then 'invalid_timestamp'
            when coalesce(json_type(readable.properties), '') != 'OBJECT' then 'malformed_properties'
            when readable.event_name not in (select event_name from tracking_plan_events) then 'unknown_event'
            when property_rules.rule = 7 then 'missing_required_property'
            when property_rules.rule = 8 then 'invalid_property_type'
            when property_rules.rule = 9 then 'invalid_property_value'
            when accounts.account_id is null then 'unknown_account'
        end as violation_reason,
        readable.event_id, readable.account_id, accounts.segment, readable.user_id, readable.event_name,
        readable.occurred_at, readable.properties
    from events
    left join readable using (file_name, file_row_number)
    left join copies using (file_name, file_row_number)
    left join property_rules using (file_name, file_row_number)
    left join accounts on readable.account_id = accounts.account_id
    """)


# ------------------------------------------------------------------------------------ the milestones
def meet_criteria(connection) -> None:
    """criteria_met: when each account met each criterion (docs/rules.md §4), at the event that brings its
    measure to the threshold, events in (occurred_at, event_id) order. Independent of the as-of date."""
    connection.execute("""
    create or replace temp table criteria_met as
    with
    criteria as (
        select segment, milestone_id, criterion_id, trim(event_name) as event_name,
            nullif(trim(filter_property), '') as filter_property,
            '|' || filter_values || '|' as filter_values,
            lower(trim(measure)) as measure, nullif(trim(distinct_property), '') as distinct_property,
            nullif(trim(group_by_property), '') as group_by_property, threshold
        from milestone_criteria
    ),
    valid_events as (
        select * from event_checks where violation_reason is null
    ),
    -- an event matches the criteria of its account's segment that name it, and those of any event ('*')
    matches as (
        select valid_events.*, criteria.* exclude (segment, event_name)
        from valid_events
        inner join criteria
            on valid_events.segment = criteria.segment
                and (criteria.event_name = valid_events.event_name or criteria.event_name = '*')
    ),
    -- what each event contributes: its group ('' without a group; events without the property do not
    -- count) and, for a distinct measure, its value
    measured as (
        select account_id, milestone_id, criterion_id, measure, threshold, event_id, occurred_at,
            case when group_by_property is null then ''
                else json_extract_string(properties, '$."' || group_by_property || '"') end as group_value,
            case when distinct_property = 'user_id' then user_id
                else json_extract_string(properties, '$."' || distinct_property || '"') end as distinct_value
        from matches
        where filter_property is null
            or position('|' || json_extract_string(properties, '$."' || filter_property || '"') || '|'
                        in filter_values) > 0
    ),
    -- a count takes every event; a distinct count only the first event of each value
    contributing as (
        select * from measured
        where group_value is not null
            and (measure = 'count' or (measure = 'distinct' and distinct_value is not null))
        qualify measure = 'count' or row_number() over (
            partition by account_id, milestone_id, criterion_id, group_value, distinct_value
            order by occurred_at, event_id) = 1
    ),
    running as (
        select *, row_number() over (
            partition by account_id, milestone_id, criterion_id, group_value order by occurred_at, event_id
        ) as measure_value
        from contributing
    )
    -- met in the first group to reach the threshold
    select account_id, milestone_id, criterion_id, min(occurred_at) as met_at
    from running
    where measure_value = threshold
    group by all
    """)


def apply_overrides(connection) -> None:
    """overrides: the CSM overrides in force (docs/rules.md §3): readable, a known account, a milestone of
    its segment; of one file's rows for the same account and milestone the earliest counts."""
    connection.execute(f"""
    create or replace temp table overrides as
    select landed_overrides.account_id, landed_overrides.milestone_id, landed_overrides.completed_at,
        landed_overrides.load_order
    from (
        select trim(account_id) as account_id, trim(milestone_id) as milestone_id,
            {utc("trim(completed_at)")} as completed_at, load_order, file_row_number, malformed
        from landed_milestone_overrides
    ) as landed_overrides
    inner join accounts on landed_overrides.account_id = accounts.account_id
    inner join milestones
        on accounts.segment = milestones.segment and landed_overrides.milestone_id = milestones.milestone_id
    where not landed_overrides.malformed and landed_overrides.completed_at is not null
    qualify row_number() over (
        partition by landed_overrides.load_order, landed_overrides.account_id, landed_overrides.milestone_id
        order by landed_overrides.completed_at, landed_overrides.file_row_number) = 1
    """)


def complete_milestones(connection, as_of: date) -> None:
    """completions: per account (signed up by the as-of date) and milestone of its segment, as of the date
    (docs/rules.md §6). Product completion = the latest of its criteria's met-at and its depends_on
    milestones' completions; completed_at = the earlier of that and the earliest override. A dependency
    has a lower sequence, so the milestones are completed one sequence at a time."""
    day = f"date '{as_of.isoformat()}'"
    connection.execute(f"""
    create or replace temp table account_milestone_facts as
    with
    criteria_counts as (
        select segment, milestone_id, count(*) as criteria from milestone_criteria group by all
    ),
    met as (
        select account_id, milestone_id, count(*) as criteria, max(met_at) as met_at
        from criteria_met where cast(met_at as date) <= {day} group by all
    ),
    overridden as (
        select account_id, milestone_id, min(completed_at) as overridden_at
        from overrides where cast(completed_at as date) <= {day} group by all
    )
    select accounts.account_id, accounts.segment, accounts.signed_up_at,
        milestones.milestone_id, milestones.sequence, milestones.target_days,
        -- all of the milestone's criteria met, by the as-of date
        case when met.criteria = counts.criteria then met.met_at end as criteria_met_at,
        overridden.overridden_at
    from accounts
    inner join milestones on accounts.segment = milestones.segment
    inner join criteria_counts as counts
        on milestones.segment = counts.segment and milestones.milestone_id = counts.milestone_id
    left join met on accounts.account_id = met.account_id and milestones.milestone_id = met.milestone_id
    left join overridden
        on accounts.account_id = overridden.account_id and milestones.milestone_id = overridden.milestone_id
    where cast(accounts.signed_up_at as date) <= {day}
    """)
    connection.execute("""
    create or replace temp table dependencies as
    -- depends_on is a |-separated list of milestone ids of the same segment
    select dependent.segment, dependent.milestone_id, prerequisite.milestone_id as depends_on
    from (select segment, milestone_id, unnest(string_split(replace(depends_on, ' ', ''), '|')) as listed
          from milestones) as dependent
    inner join milestones as prerequisite
        on dependent.segment = prerequisite.segment and dependent.listed = prerequisite.milestone_id
    """)
    connection.execute("""
    create or replace temp table completions (
        account_id varchar, milestone_id varchar, product_completed_at timestamp, completed_at timestamp)
    """)
    (sequences,) = connection.execute("select coalesce(max(sequence), 0) from milestones").fetchone()
    for sequence in range(1, sequences + 1):
        connection.execute(f"""
        insert into completions
        with
        prerequisites as (
            select facts.account_id, facts.milestone_id, count(*) as prerequisites,
                count(completions.completed_at) as completed,
                max(completions.completed_at) as latest
            from account_milestone_facts as facts
            inner join dependencies
                on facts.segment = dependencies.segment and facts.milestone_id = dependencies.milestone_id
            left join completions
                on facts.account_id = completions.account_id
                    and dependencies.depends_on = completions.milestone_id
            where facts.sequence = {sequence}
            group by all
        ),
        product as (
            select facts.account_id, facts.milestone_id, facts.overridden_at,
                case
                    when facts.criteria_met_at is null then null
                    when prerequisites.account_id is null then facts.criteria_met_at
                    when prerequisites.completed = prerequisites.prerequisites
                        then greatest(facts.criteria_met_at, prerequisites.latest)
                end as product_completed_at
            from account_milestone_facts as facts
            left join prerequisites using (account_id, milestone_id)
            where facts.sequence = {sequence}
        )
        -- least skips nulls in DuckDB: the earlier of the two where both are known
        select account_id, milestone_id, product_completed_at, least(product_completed_at, overridden_at)
        from product
        """)


def account_milestones(connection, as_of: date) -> None:
    """account_milestones: fct_account_milestones (docs/rules.md §6) from the completions: status, the
    milestone clock, the segment baselines and the stall rule."""
    day = f"date '{as_of.isoformat()}'"
    connection.execute(f"""
    create or replace temp table {ACCOUNT_MILESTONES} as
    with
    completed as (
        select facts.*, completions.product_completed_at, completions.completed_at,
            case when completions.completed_at is null then null
                -- a tie goes to the product
                when completions.product_completed_at <= completions.completed_at then 'product' else 'csm'
            end as completion_source
        from account_milestone_facts as facts
        inner join completions using (account_id, milestone_id)
    ),
    -- the clock starts at the previous-sequence milestone's completion (signup for sequence 1); the
    -- active milestone is the lowest-sequence incomplete one
    clocked as (
        select this.*,
            case when this.sequence = 1 then this.signed_up_at else previous.completed_at end
                as clock_started_at,
            case when this.completed_at is not null then 'completed'
                when this.sequence = min(case when this.completed_at is null then this.sequence end)
                    over (partition by this.account_id) then 'active'
                else 'pending' end as status
        from completed as this
        left join completed as previous
            on this.account_id = previous.account_id and previous.sequence = this.sequence - 1
    ),
    -- whole UTC days: differences of UTC dates
    timed as (
        select *,
            date_diff('day', cast(signed_up_at as date), cast(completed_at as date)) as days_from_signup,
            date_diff('day', cast(clock_started_at as date), cast(completed_at as date))
                as days_from_previous,
            case when status = 'active' then date_diff('day', cast(clock_started_at as date), {day}) end
                as days_waiting
        from clocked
    ),
    -- segment_settings: a row without a segment, or a segment listed twice, is ignored; so is a value
    -- outside the seed's rules (the default stands in)
    settings as (
        select segment,
            case when stall_baseline in ('target_days', 'peer_p75') then stall_baseline end as stall_baseline,
            case when min_peer_completions >= 0 then min_peer_completions end as min_peer_completions
        from segment_settings
        where segment is not null
        qualify count(*) over (partition by segment) = 1
    ),
    -- the peers' pace: p75 of days from the previous milestone (a negative one counts as 0)
    peers as (
        select segment, milestone_id, count(days_from_previous) as timed,
            quantile_cont(case when days_from_previous < 0 then 0 else days_from_previous end, 0.75) as p75
        from timed group by all
    ),
    thresholds as (
        select milestones.segment, milestones.milestone_id,
            coalesce(settings.stall_baseline, 'target_days') = 'peer_p75'
                and coalesce(peers.timed, 0) >= coalesce(settings.min_peer_completions, 0)
                and peers.p75 is not null as by_peers,
            case when by_peers then cast(ceil(peers.p75) as integer) else milestones.target_days end as days
        from milestones
        left join settings on milestones.segment = settings.segment
        left join peers on milestones.segment = peers.segment and milestones.milestone_id = peers.milestone_id
    )
    select timed.account_id, timed.segment, timed.milestone_id, timed.sequence, timed.status,
        timed.completed_at, timed.completion_source,
        timed.days_from_signup, timed.days_from_previous,
        coalesce(timed.days_waiting > thresholds.days, false) as is_stalled,
        case when timed.days_waiting > thresholds.days then timed.days_waiting - thresholds.days else 0 end
            as days_overdue,
        timed.days_waiting, timed.target_days, thresholds.days as stall_threshold_days,
        case when thresholds.by_peers then 'peer_p75' else 'target_days' end as stall_threshold_source,
        timed.clock_started_at, timed.product_completed_at, timed.overridden_at
    from timed
    inner join thresholds
        on timed.segment = thresholds.segment and timed.milestone_id = thresholds.milestone_id
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
        connection.execute(f"copy (select {', '.join(columns)} from {table}) to {path} (format parquet)")
        rows[table] = connection.execute(f"select count(*) from {table}").fetchone()[0]
    return rows
