-- When each account met each criterion of its segment's milestones (docs/rules.md §4): at the event
-- that brings the measure to the threshold, ties broken by event_id. Driven by joins over the
-- criteria seed: no SQL per criterion. One row per criterion met; unmet criteria have none.
--
-- Independent of the as-of date: events are counted in time order, so the met-at of a criterion
-- as of any date is this met-at when it falls on or before that date (int_account_milestone_completions
-- applies the date). A new as-of date therefore recomputes nothing here.
--
-- Incremental by arrival, per (account, criterion): a build recomputes, completely, only the pairs an
-- event that changed verdict since the last build could count for, and not those already met before
-- the earliest such event (macros/incremental/recomputed_pairs.sql). The replace_recomputed
-- strategy deletes every recomputed pair's old row, also when it is not met any more, before inserting
-- the new ones. The watermark is the newest processed_load_id of the rows stored: a build that stores
-- no row leaves it where it was, and the next build recomputes those pairs again, which is wasted work
-- but never a wrong row.
--
-- On Spark the strategy rewrites the table (small: a row per criterion met) with the recomputed
-- pairs' rows (macros/spark/incremental_strategies.sql).

{{ config(
    materialized='incremental',
    incremental_strategy='replace_recomputed',
    unique_key=['account_id', 'milestone_id', 'criterion_id'],
    recomputed_keys='criteria_pairs_to_recompute',
    on_schema_change='fail',
) }}

{#- what a matching event carries of its criterion, and what each contributing event keeps -#}
{%- set criterion_columns = [
    'milestone_id', 'criterion_id', 'filter_property', 'padded_filter_values', 'measure',
    'distinct_property', 'group_by_property', 'threshold',
] -%}
{%- set contribution_columns = [
    'account_id', 'milestone_id', 'criterion_id', 'threshold', 'group_value', 'event_id', 'occurred_at',
] %}

-- The steps from `events` to `measured` are read more than once (count and distinct measures, named
-- and `*` criteria, each with its own filter), so each is marked not materialized: stored, they held
-- every matching event with its properties, which spilled tens of GB at 100M events.

with

{% if is_incremental() %}

recomputed_pairs as (
    {{ criteria_pairs_to_recompute() }}
),

events as {{ not_materialized() }} (
    select * from {{ ref('int_events__valid') }}
    where account_id in (select recomputed_pairs.account_id from recomputed_pairs)
),

{% else %}

events as {{ not_materialized() }} (
    select * from {{ ref('int_events__valid') }}
),

{% endif %}

accounts as (
    select * from {{ ref('int_accounts__current') }}
),

contract_loads as (
    select max(processed_load_id) as processed_load_id from {{ ref('int_events__contract_checked') }}
),

criteria as (
    select * from {{ ref('int_milestone_criteria') }}
),

account_events as {{ not_materialized() }} (
    select
        events.account_id,
        accounts.segment,
        events.event_id,
        events.event_name,
        events.user_id,
        events.occurred_at,
        events.properties
    from events
    inner join accounts
        on events.account_id = accounts.account_id
),

-- two equi-joins rather than one join on "name matches or criterion is '*'", which would not hash
named_event_matches as {{ not_materialized() }} (
    select
        account_events.*,
        {{ 'criteria.' ~ criterion_columns | join(',\n        criteria.') }}
    from account_events
    inner join criteria
        on
            account_events.segment = criteria.segment
            and account_events.event_name = criteria.event_name
),

any_event_matches as {{ not_materialized() }} (
    select
        account_events.*,
        {{ 'criteria.' ~ criterion_columns | join(',\n        criteria.') }}
    from account_events
    inner join criteria
        on account_events.segment = criteria.segment
    where criteria.event_name = '*'
),

all_matches as {{ not_materialized() }} (
    select * from named_event_matches
    union all
    select * from any_event_matches
),

matches as {{ not_materialized() }} (
    {% if is_incremental() -%}
    select all_matches.*
    from all_matches
    inner join recomputed_pairs
        on
            all_matches.account_id = recomputed_pairs.account_id
            and all_matches.milestone_id = recomputed_pairs.milestone_id
            and all_matches.criterion_id = recomputed_pairs.criterion_id
    {%- else -%}
    select * from all_matches
    {%- endif %}
),

-- what each matching event contributes: its group and, for distinct measures, its value
measured as {{ not_materialized() }} (
    select
        account_id,
        milestone_id,
        criterion_id,
        measure,
        threshold,
        event_id,
        occurred_at,
        case
            when group_by_property is null then ''
            else {{ json_text_at('properties', 'group_by_property') }}
        end as group_value,
        case
            when measure != 'distinct' then null
            when distinct_property = 'user_id' then user_id
            else {{ json_text_at('properties', 'distinct_property') }}
        end as distinct_value
    from matches
    where
        filter_property is null
        or {{ dbt.position(
            "'|' || " ~ json_text_at('properties', 'filter_property') ~ " || '|'",
            'padded_filter_values'
        ) }} > 0
),

-- count measures: every event counts
counted_events as (
    select
        {{ contribution_columns | join(',\n        ') }}
    from measured
    where measure = 'count' and group_value is not null
),

-- distinct measures: only the first event of each value counts, found by an aggregate rather than a
-- window over every matching event ('*' criteria match all of them)
first_events_of_value as (
    select
        account_id,
        milestone_id,
        criterion_id,
        threshold,
        group_value,
        distinct_value,
        min(occurred_at) as occurred_at,
        {{ first_in_order('event_id', 'occurred_at') }} as event_id
    from measured
    where measure = 'distinct' and group_value is not null and distinct_value is not null
    group by 1, 2, 3, 4, 5, 6
),

contributing_events as (
    select
        *,
        {{ dbt.date_trunc('month', 'occurred_at') }} as counted_in_month
    from (
        select * from counted_events
        union all
        select
            {{ contribution_columns | join(',\n            ') }}
        from first_events_of_value
    ) as contributions
),

-- The event that brings a group to the threshold lies in the month where the group's running count
-- reaches it: months are counted by an aggregate, and only that month's events are put in order.
-- Equal to numbering every contributing event, without sorting all of them.
monthly_counts as (
    select
        account_id,
        milestone_id,
        criterion_id,
        threshold,
        group_value,
        counted_in_month,
        count(*) as events_in_month
    from contributing_events
    group by 1, 2, 3, 4, 5, 6
),

running_monthly_counts as (
    select
        *,
        sum(events_in_month) over (
            partition by account_id, milestone_id, criterion_id, group_value
            order by counted_in_month
            rows between unbounded preceding and current row
        ) as counted_through_month
    from monthly_counts
),

threshold_months as (
    select
        account_id,
        milestone_id,
        criterion_id,
        group_value,
        counted_in_month,
        counted_through_month - events_in_month as counted_before_month
    from running_monthly_counts
    where
        counted_through_month >= threshold
        and counted_through_month - events_in_month < threshold
),

running_measures as (
    select
        contributing_events.*,
        threshold_months.counted_before_month + row_number() over (
            partition by
                contributing_events.account_id,
                contributing_events.milestone_id,
                contributing_events.criterion_id,
                contributing_events.group_value
            order by contributing_events.occurred_at, contributing_events.event_id
        ) as measure_value
    from contributing_events
    inner join threshold_months
        on
            contributing_events.account_id = threshold_months.account_id
            and contributing_events.milestone_id = threshold_months.milestone_id
            and contributing_events.criterion_id = threshold_months.criterion_id
            and contributing_events.group_value = threshold_months.group_value
            and contributing_events.counted_in_month = threshold_months.counted_in_month
),

-- the event that brought a group to the threshold; the criterion is met by its first group
threshold_events as (
    select
        account_id,
        milestone_id,
        criterion_id,
        group_value,
        event_id,
        occurred_at,
        row_number() over (
            partition by account_id, milestone_id, criterion_id
            order by occurred_at, event_id
        ) as group_order
    from running_measures
    where measure_value = threshold
),

met_criteria as (
    select
        account_id,
        milestone_id,
        criterion_id,
        occurred_at as met_at,
        event_id as met_by_event_id,
        nullif(group_value, '') as met_in_group
    from threshold_events
    where group_order = 1
),

final as (
    select
        met_criteria.*,
        (select contract_loads.processed_load_id from contract_loads) as processed_load_id,
        {{ criteria_fingerprint() }} as seed_fingerprint
    from met_criteria
)

select * from final
