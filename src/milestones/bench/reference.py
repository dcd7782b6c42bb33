"""The hand-written reference: the core milestone computation as one DuckDB query over the raw layer.

What the dbt build spreads over staging, the contract check, int_account_criteria_met and
int_account_milestone_completions, minimally, in one statement:

1. valid events: readable rows of the raw events table with the required fields, the first copy of each
   event_id (by received_at, then load order), a readable occurred_at at most 1 day after received_at,
   properties a JSON object, an event of the tracking plan and a known account. Not checked (a minimal
   equivalent, not the contract): the planned properties' presence, types and allowed values.
2. per criterion, met at the event that brings the measure to its threshold: count or distinct (the first
   event of each value counts), per group when there is one, the same running row_number window ordered by
   occurred_at then event_id.
3. milestone completion: every criterion met; completed at the latest met-at, as of the build's date.
   Not applied: depends_on and CSM overrides (fct_account_milestones applies both).

The bench times it on the same raw data as the full build, then compares its completions with the
product's criteria (int_account_criteria_met, the same completion rule applied to it) as a sanity check.
"""

from __future__ import annotations

from datetime import date

REFERENCE_TABLE = "bench_reference_completions"


def reference_sql(schema: str, as_of: date) -> str:
    raw, seeds = f"{schema}_raw", f"{schema}_seeds"
    cutoff = f"DATE '{as_of.isoformat()}' + INTERVAL 1 DAY"
    return f"""
WITH
accounts AS (
    SELECT account_id, segment FROM (
        SELECT nullif(trim(account_id), '') AS account_id, nullif(trim(segment), '') AS segment,
            row_number() OVER (PARTITION BY nullif(trim(account_id), '')
                               ORDER BY _load_id DESC, _row_number DESC) AS version
        FROM {raw}.accounts
        WHERE _load_error IS NULL AND nullif(trim(account_id), '') IS NOT NULL
    ) WHERE version = 1
),
criteria AS (
    SELECT segment, milestone_id, criterion_id, trim(event_name) AS event_name,
        nullif(trim(filter_property), '') AS filter_property, '|' || filter_values || '|' AS padded_values,
        lower(trim(measure)) AS measure, nullif(trim(distinct_property), '') AS distinct_property,
        nullif(trim(group_by_property), '') AS group_by_property, threshold
    FROM {seeds}.milestone_criteria
),
readable AS (
    SELECT
        nullif(trim(event_id), '') AS event_id,
        nullif(trim(account_id), '') AS account_id,
        nullif(trim(user_id), '') AS user_id,
        nullif(trim(event_name), '') AS event_name,
        timezone('UTC', try_cast(nullif(trim(occurred_at), '') AS timestamptz)) AS occurred_at,
        nullif(trim(received_at), '') AS received_text,
        timezone('UTC', try_cast(nullif(trim(received_at), '') AS timestamptz)) AS received_at,
        coalesce(nullif(trim(properties), ''), '{{}}') AS properties_text,
        CAST(_loaded_at AS TIMESTAMP) AS loaded_at, _load_id, _row_number
    FROM {raw}.events
    WHERE _load_error IS NULL
        AND nullif(trim(event_id), '') IS NOT NULL AND nullif(trim(account_id), '') IS NOT NULL
        AND nullif(trim(event_name), '') IS NOT NULL AND nullif(trim(occurred_at), '') IS NOT NULL
),
first_copies AS (
    SELECT * FROM readable
    QUALIFY row_number() OVER (
        PARTITION BY event_id ORDER BY coalesce(received_at, loaded_at), _load_id, _row_number) = 1
),
valid_events AS (
    SELECT first_copies.event_id, first_copies.account_id, accounts.segment, first_copies.user_id,
        first_copies.event_name, first_copies.occurred_at,
        CASE WHEN json_valid(properties_text) THEN CAST(properties_text AS JSON) END AS properties
    FROM first_copies
    INNER JOIN accounts ON first_copies.account_id = accounts.account_id
    WHERE occurred_at IS NOT NULL
        AND occurred_at <= coalesce(received_at, loaded_at) + INTERVAL 1 DAY
        AND NOT (received_text IS NOT NULL AND received_at IS NULL)
        AND json_type(CASE WHEN json_valid(properties_text) THEN properties_text END) = 'OBJECT'
        AND event_name IN (SELECT event_name FROM {seeds}.tracking_plan_events)
),
matches AS (
    SELECT e.*, c.milestone_id, c.criterion_id, c.filter_property, c.padded_values, c.measure,
        c.distinct_property, c.group_by_property, c.threshold
    FROM valid_events AS e INNER JOIN criteria AS c ON e.segment = c.segment AND e.event_name = c.event_name
    UNION ALL
    SELECT e.*, c.milestone_id, c.criterion_id, c.filter_property, c.padded_values, c.measure,
        c.distinct_property, c.group_by_property, c.threshold
    FROM valid_events AS e INNER JOIN criteria AS c ON e.segment = c.segment
    WHERE c.event_name = '*'
),
measured AS (
    SELECT account_id, milestone_id, criterion_id, measure, threshold, event_id, occurred_at,
        CASE WHEN group_by_property IS NULL THEN ''
            ELSE json_extract_string(properties, '$."' || group_by_property || '"') END AS group_value,
        CASE WHEN measure != 'distinct' THEN NULL
            WHEN distinct_property = 'user_id' THEN user_id
            ELSE json_extract_string(properties, '$."' || distinct_property || '"') END AS distinct_value
    FROM matches
    WHERE filter_property IS NULL
        OR position('|' || json_extract_string(properties, '$."' || filter_property || '"') || '|'
                    IN padded_values) > 0
),
contributing AS (
    SELECT * FROM measured WHERE measure = 'count' AND group_value IS NOT NULL
    UNION ALL
    SELECT * FROM measured
    WHERE measure = 'distinct' AND group_value IS NOT NULL AND distinct_value IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY account_id, milestone_id, criterion_id, group_value, distinct_value
        ORDER BY occurred_at, event_id) = 1
),
running AS (
    SELECT *, row_number() OVER (
        PARTITION BY account_id, milestone_id, criterion_id, group_value ORDER BY occurred_at, event_id
    ) AS measure_value
    FROM contributing
),
criteria_met AS (
    SELECT account_id, milestone_id, criterion_id, min(occurred_at) AS met_at
    FROM running
    WHERE measure_value = threshold
    GROUP BY ALL
),
criteria_per_milestone AS (
    SELECT segment, milestone_id, count(*) AS criteria FROM criteria GROUP BY ALL
)
SELECT criteria_met.account_id, criteria_met.milestone_id, max(criteria_met.met_at) AS completed_at
FROM criteria_met
INNER JOIN accounts ON criteria_met.account_id = accounts.account_id
INNER JOIN criteria_per_milestone
    ON accounts.segment = criteria_per_milestone.segment
    AND criteria_met.milestone_id = criteria_per_milestone.milestone_id
GROUP BY criteria_met.account_id, criteria_met.milestone_id, criteria_per_milestone.criteria
HAVING count(*) = criteria_per_milestone.criteria AND max(criteria_met.met_at) < {cutoff}
"""


def product_completions_sql(schema: str, as_of: date) -> str:
    """The same completion rule applied to the product's criteria (no dependencies, no overrides)."""
    cutoff = f"DATE '{as_of.isoformat()}' + INTERVAL 1 DAY"
    return f"""
WITH criteria_per_milestone AS (
    SELECT segment, milestone_id, count(*) AS criteria FROM {schema}_seeds.milestone_criteria GROUP BY ALL
),
accounts AS (
    SELECT account_id, segment FROM {schema}_intermediate.int_accounts__current
)
SELECT met.account_id, met.milestone_id, max(met.met_at) AS completed_at
FROM {schema}_intermediate.int_account_criteria_met AS met
INNER JOIN accounts ON met.account_id = accounts.account_id
INNER JOIN criteria_per_milestone
    ON accounts.segment = criteria_per_milestone.segment
    AND met.milestone_id = criteria_per_milestone.milestone_id
GROUP BY met.account_id, met.milestone_id, criteria_per_milestone.criteria
HAVING count(*) = criteria_per_milestone.criteria AND max(met.met_at) < {cutoff}
"""
