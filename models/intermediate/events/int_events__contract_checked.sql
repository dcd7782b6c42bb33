-- Every landed event row with the first contract rule it breaks (null when it breaks none).
-- The rules and their order are those of docs/rules.md §5; each step below adds one rule, by its
-- number, and the reason a row gets is that rule's name in seed event_contract_rules.
--
-- Incremental by arrival: a build checks the rows of loads it has not seen, every other copy of
-- their event ids (a late copy can make an earlier one a duplicate) and the rows of accounts that
-- landed since (an unknown account becomes known). A changed tracking plan rechecks everything.
-- The cost follows what arrived, not the history, since a row's other rules depend on it alone.
-- On Spark the table is partitioned by load_id (a row's key fixes its load): a build rewrites only the
-- loads its rows are in (macros/spark/incremental_strategies.sql).

-- depends_on: {{ ref('stg_landing__accounts') }}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='raw_row_id',
    on_schema_change='fail',
    partition_by=spark_partition_by('load_id'),
) }}

{#- the landed columns as text: a row is parsed (timestamps, properties) once it is picked -#}
{%- set landed_columns = [
    'raw_row_id', 'event_id', 'account_id', 'user_id', 'event_name', 'occurred_at_text',
    'received_at_text', 'properties_text', 'load_id', 'file_name', 'file_checksum', 'loaded_at',
    'file_row_number', 'raw_record', 'load_error',
] %}
{#- what a row was as landed: stored for quarantined rows, which show it -#}
{%- set quarantine_only_columns = ['occurred_at_text', 'received_at_text', 'properties_text', 'raw_record'] %}

with

-- read by several steps, each for other rows: stored whole, every landed row would be parsed and kept
-- (1 GB of buffer at 1M events) on a day that checks a few
landed_events as {{ not_materialized() }} (
    select * from {{ ref('stg_landing__events') }}
),

loads as (
    select * from {{ source('landing', '_loads') }}
),

{% if is_incremental() %}

landed_accounts as (
    select * from {{ ref('stg_landing__accounts') }}
),

new_rows as (
    select
        account_id,
        event_id
    from landed_events
    where load_id > {{ processed_load_watermark() }}
),

-- an account that lands (again) can turn its events from unknown_account into valid ones
landed_account_ids as (
    select account_id from landed_accounts
    where load_id > {{ processed_load_watermark() }}
),

-- every copy of an event id in play: which copy came first decides the duplicates
event_ids_in_play as (
    select event_id from new_rows
    union
    select event_id from landed_events
    where account_id in (select landed_account_ids.account_id from landed_account_ids)
),

-- the rows of earlier loads to check again, found by their keys alone: one filter of subqueries over
-- every landed row would parse each of them to pick a few (10 s at 10M events on a day with nothing new)
earlier_rows_in_play as (
    select load_id, file_row_number from landed_events
    where
        load_id <= {{ processed_load_watermark() }}
        and account_id in (select landed_account_ids.account_id from landed_account_ids)
    union
    select load_id, file_row_number from landed_events
    where
        load_id <= {{ processed_load_watermark() }}
        and event_id in (select event_ids_in_play.event_id from event_ids_in_play)
    union
    -- every earlier row when the tracking plan changed: one comparison with a scalar subquery (the
    -- watermark, or -1 while the plan is unchanged), which DuckDB pushes into the scan; with "and the
    -- plan changed" beside it, every build read every landed row's key to keep none
    select load_id, file_row_number from landed_events
    where load_id <= (
        select
            case
                when {{ tracking_plan_fingerprint() }} != coalesce({{ stored_fingerprint() }}, '')
                    then {{ processed_load_watermark() }}
                else cast(-1 as {{ dbt.type_bigint() }})
            end
    )
),

{% endif %}

-- every landed row on a full build; else the rows of new loads (a range of load ids, which DuckDB reads
-- alone) and the earlier rows in play. Those are joined on the landed columns of their key, not on the
-- key computed from them: then the wide columns are read only for the rows that match (a day's build
-- read every landed row whole, 7 s at 10M events)
picked_events as (
    select
        {{ 'landed_events.' ~ landed_columns | join(',\n        landed_events.') }}
    from landed_events
    {%- if is_incremental() %}
    where landed_events.load_id > {{ processed_load_watermark() }}
    union all
    select
        {{ 'landed_events.' ~ landed_columns | join(',\n        landed_events.') }}
    from landed_events
    inner join earlier_rows_in_play
        on
            landed_events.load_id = earlier_rows_in_play.load_id
            and landed_events.file_row_number = earlier_rows_in_play.file_row_number
    {%- endif %}
),

-- parsed as the staging view parses them, but only the rows picked
events as (
    select
        picked_events.*,
        {{ parse_utc_timestamp('picked_events.occurred_at_text') }} as occurred_at,
        {{ parse_utc_timestamp('picked_events.received_at_text') }} as received_at,
        {{ parse_json('picked_events.properties_text') }} as properties
    from picked_events
),

tracking_plan_events as (
    select * from {{ ref('tracking_plan_events') }}
),

tracking_plan_properties as (
    select * from {{ ref('tracking_plan_properties') }}
),

accounts as (
    select * from {{ ref('int_accounts__current') }}
),

contract_rules as (
    select * from {{ ref('event_contract_rules') }}
),

-- rules 1 and 2: the row could not be read, or a field every event needs is empty
readable_events as (
    select
        events.*,
        case
            when events.load_error is not null then 1
            when
                events.event_id is null
                or events.account_id is null
                or events.event_name is null
                or events.occurred_at_text is null
                then 2
        end as early_rule_number,
        {{ json_kind('events.properties') }} as properties_kind
    from events
),

-- rule 3: among readable rows, the first copy of an event id (by received_at, then load order) wins.
-- Only the later copies are kept: joined back to every row, all copies made a hash table as large as
-- the events, which spilled the wide rows at 100M events
later_copies as (
    select raw_row_id
    from (
        select
            raw_row_id,
            row_number() over (
                partition by event_id
                order by coalesce(received_at, loaded_at), load_id, file_row_number
            ) as copy_number
        from readable_events
        where early_rule_number is null
    ) as numbered_copies
    where copy_number > 1
),

-- rules 7 to 9 look at each planned property of the event
planned_property_values as (
    select
        readable_events.raw_row_id,
        tracking_plan_properties.property,
        tracking_plan_properties.type as planned_type,
        tracking_plan_properties.required as is_required,
        tracking_plan_properties.allowed_values,
        {{ json_kind_at('readable_events.properties', 'tracking_plan_properties.property') }} as value_kind,
        {{ json_text_at('readable_events.properties', 'tracking_plan_properties.property') }} as value_text
    from readable_events
    inner join tracking_plan_properties
        on readable_events.event_name = tracking_plan_properties.event_name
    where
        readable_events.early_rule_number is null
        and readable_events.properties_kind = 'object'
),

property_violations as (
    select
        raw_row_id,
        property,
        value_text,
        case
            when value_kind in ('missing', 'null') and is_required then 7
            when value_kind in ('missing', 'null') then null
            when planned_type = 'string' and value_kind != 'string' then 8
            when planned_type = 'integer' and value_kind != 'integer' then 8
            when planned_type = 'number' and value_kind not in ('integer', 'number') then 8
            when planned_type = 'boolean' and value_kind != 'boolean' then 8
            when
                planned_type = 'timestamp'
                and (value_kind != 'string' or {{ parse_utc_timestamp('value_text') }} is null)
                then 8
            when
                allowed_values is not null
                and {{ dbt.position("'|' || value_text || '|'", "'|' || allowed_values || '|'") }} = 0
                then 9
        end as rule_number
    from planned_property_values
),

-- an event breaking several property rules is quarantined for the first rule, then property name
first_property_violations as (
    select
        raw_row_id,
        property,
        value_text,
        rule_number
    from (
        select
            property_violations.*,
            row_number() over (partition by raw_row_id order by rule_number, property) as violation_order
        from property_violations
        where rule_number is not null
    ) as ordered_violations
    where violation_order = 1
),

checked as (
    select
        readable_events.*,
        first_property_violations.property as violation_property,
        case
            when readable_events.early_rule_number is not null then readable_events.early_rule_number
            when later_copies.raw_row_id is not null then 3
            when
                readable_events.occurred_at is null
                or readable_events.occurred_at
                > {{ dbt.dateadd('day', 1, "coalesce(readable_events.received_at, readable_events.loaded_at)") }}
                or (readable_events.received_at_text is not null and readable_events.received_at is null)
                then 4
            when readable_events.properties_kind != 'object' then 5
            when tracking_plan_events.event_name is null then 6
            when first_property_violations.rule_number is not null then first_property_violations.rule_number
            when accounts.account_id is null then 10
        end as violation_rule_number,
        first_property_violations.value_text as violation_value
    from readable_events
    left join later_copies
        on readable_events.raw_row_id = later_copies.raw_row_id
    left join tracking_plan_events
        on readable_events.event_name = tracking_plan_events.event_name
    left join first_property_violations
        on readable_events.raw_row_id = first_property_violations.raw_row_id
    left join accounts
        on readable_events.account_id = accounts.account_id
),

named_violations as (
    select
        checked.*,
        contract_rules.reason as violation_reason,
        contract_rules.is_property_rule
    from checked
    left join contract_rules
        on checked.violation_rule_number = contract_rules.rule_number
),

final as (
    select
        raw_row_id,
        event_id,
        account_id,
        user_id,
        event_name,
        occurred_at,
        received_at,
        properties,
        -- the row as landed is kept for the quarantine only: the raw table holds every row as landed,
        -- and storing the texts of every valid row again was half of what this model wrote
        {%- for column in quarantine_only_columns %}
        case when violation_reason is not null then {{ column }} end as {{ column }},
        {%- endfor %}
        load_id,
        file_name,
        file_checksum,
        loaded_at,
        file_row_number,
        violation_reason,
        case violation_rule_number
            when 1 then load_error
            when 2 then 'empty: ' || {{ dbt.concat([
                "case when event_id is null then 'event_id ' else '' end",
                "case when account_id is null then 'account_id ' else '' end",
                "case when event_name is null then 'event_name ' else '' end",
                "case when occurred_at_text is null then 'occurred_at' else '' end",
            ]) }}
            when 3 then 'a copy of event_id ' || event_id || ' arrived earlier'
            when 4
                then
                    case
                        when occurred_at is null then 'occurred_at is not a readable timestamp: ' || occurred_at_text
                        when received_at_text is not null and received_at is null
                            then 'received_at is not a readable timestamp: ' || received_at_text
                        else 'occurred_at ' || occurred_at_text || ' is more than 1 day after received_at '
                            || coalesce(received_at_text, 'load time')
                    end
            when 5 then 'properties is not a JSON object: ' || properties_text
            when 6 then 'event_name not in the tracking plan: ' || event_name
            when 7 then 'required property absent or null: ' || violation_property
            when 8
                then
                    'property ' || violation_property || ' has the wrong type: ' || coalesce(violation_value, 'null')
            when 9
                then
                    'property ' || violation_property || ' value not allowed: ' || violation_value
            when 10 then 'account_id not among the accounts: ' || account_id
        end as violation_detail,
        case when is_property_rule then violation_property end as violation_property,
        -- the type and value rules also name the offending value
        case when violation_rule_number in (8, 9) then violation_value end as violation_value,
        (select coalesce(max(loads.load_id), 0) from loads) as processed_load_id,
        {{ tracking_plan_fingerprint() }} as seed_fingerprint
    from named_violations
)

select * from final
