-- Each account's progress on each criterion of its segment's milestones (docs/rules.md §4): when it
-- was met, or, until it is, the running measure that later events add to. Driven by joins over the
-- criteria seed: no SQL per criterion. int_account_criteria_met is its met rows.
--
-- Rows, per (account, criterion):
-- - met: one row (is_met) with the event that brings the measure to the threshold, ties broken by
--   event_id, and nothing else: a later event cannot move it;
-- - not met: the running measure (is_met false), one row per group (group_value, '' when the
--   criterion has no group_by_property) for a count, one row per group and value counted
--   (distinct_value) for a distinct measure; counted_events is the count, last_counted_at the latest
--   event counted. A criterion nothing counted for yet has no row.
--
-- Independent of the as-of date: events are counted in time order, so the met-at of a criterion
-- as of any date is this met-at when it falls on or before that date (int_account_milestone_completions
-- applies the date). A new as-of date therefore recomputes nothing here.
--
-- Incremental by arrival, per (account, criterion): a build recomputes only the pairs an event that
-- changed verdict since the last build could count for, and not those already met before the earliest
-- such event (macros/incremental/recomputed_pairs.sql). A pair not met whose changed events are all
-- later than the latest event it counted is extended: its stored running measure plus the valid
-- events (re)checked since, the day's work. Any other recomputed pair is computed again from all its
-- account's events. The replace_recomputed strategy deletes every recomputed pair's old rows before
-- inserting the new ones. The watermark is the newest processed_load_id of the rows stored: a build
-- that stores no row leaves it where it was, and the next build recomputes those pairs from the same
-- events again, which is wasted work but never a wrong row (the events it reads again counted
-- nothing for them).
--
-- On Spark the strategy rewrites the table (small: rows per criterion met or counting) with the
-- recomputed pairs' rows (macros/spark/incremental_strategies.sql), and the pairs to recompute are
-- written to a work table by the model's pre-hook, which the model and the strategy read
-- (macros/incremental/criteria_recompute_paths.sql).

{%- set paths_hooks = criteria_recompute_paths_hooks() %}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_recomputed',
    unique_key=['account_id', 'milestone_id', 'criterion_id'],
    recomputed_keys='criteria_pairs_recomputed',
    on_schema_change='fail',
    pre_hook=paths_hooks.pre,
    post_hook=paths_hooks.post,
) }}

{#- what a matching event carries of its criterion, and what each contributing event keeps -#}
{%- set criterion_columns = [
    'milestone_id', 'criterion_id', 'filter_property', 'padded_filter_values', 'measure',
    'distinct_property', 'group_by_property', 'threshold',
] -%}
{%- set contribution_columns = [
    'account_id', 'milestone_id', 'criterion_id', 'threshold', 'group_value', 'distinct_value',
    'event_id', 'occurred_at',
] -%}
{%- set pair_keys = ['account_id', 'milestone_id', 'criterion_id'] %}

-- The steps from `events` to `measured` are read more than once (count and distinct measures, named
-- and `*` criteria, each with its own filter), so each is marked not materialized: stored, they held
-- every matching event with its properties, which spilled tens of GB at 100M events.

with

{% if is_incremental() %}

{{ criteria_recompute_paths() }},

-- the stored running measures of the extended pairs
extended_measures as (
    select stored.*
    from {{ this }} as stored
    inner join recompute_paths
        on
            stored.account_id = recompute_paths.account_id
            and stored.milestone_id = recompute_paths.milestone_id
            and stored.criterion_id = recompute_paths.criterion_id
    where recompute_paths.is_extended and not stored.is_met
),

-- what each account with a recomputed pair reads: all its events when a pair of it is computed again,
-- else only the events (re)checked since the last build
account_reads as (
    select
        account_id,
        {{ dbt.bool_or('not is_extended') }} as reads_all_events
    from recompute_paths
    group by account_id
),

events as {{ not_materialized() }} (
    {{ criteria_events_to_read(ref('int_events__valid')) }}
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
        events.properties,
        events.processed_load_id
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
    inner join recompute_paths
        on
            all_matches.account_id = recompute_paths.account_id
            and all_matches.milestone_id = recompute_paths.milestone_id
            and all_matches.criterion_id = recompute_paths.criterion_id
    where
        not recompute_paths.is_extended
        or all_matches.processed_load_id > {{ processed_load_watermark() }}
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
        account_id,
        milestone_id,
        criterion_id,
        threshold,
        group_value,
        cast(null as {{ dbt.type_string() }}) as distinct_value,
        event_id,
        occurred_at
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
        {% if is_incremental() -%}
        -- an extended pair's value counted before does not count again
        where not exists (
            select 1
            from extended_measures
            where
                {% for key in pair_keys + ['group_value', 'distinct_value'] -%}
                extended_measures.{{ key }} = first_events_of_value.{{ key }}
                {%- if not loop.last %} and {% endif %}
                {% endfor %}
        )
        {%- endif %}
    ) as contributions
),

-- what counts, per group (and value, for distinct measures) and month; an extended pair's stored
-- running measure comes first, in a month of its own (null: it sorts before every month below)
contribution_totals as (
    select
        account_id,
        milestone_id,
        criterion_id,
        threshold,
        group_value,
        distinct_value,
        counted_in_month,
        count(*) as counted_events,
        max(occurred_at) as last_counted_at
    from contributing_events
    group by 1, 2, 3, 4, 5, 6, 7
    {% if is_incremental() -%}
    union all
    select
        extended_measures.account_id,
        extended_measures.milestone_id,
        extended_measures.criterion_id,
        criteria.threshold,
        extended_measures.group_value,
        extended_measures.distinct_value,
        cast(null as {{ dbt.type_timestamp() }}) as counted_in_month,
        extended_measures.counted_events,
        extended_measures.last_counted_at
    from extended_measures
    inner join accounts
        on extended_measures.account_id = accounts.account_id
    inner join criteria
        on
            accounts.segment = criteria.segment
            and extended_measures.milestone_id = criteria.milestone_id
            and extended_measures.criterion_id = criteria.criterion_id
    {%- endif %}
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
        sum(counted_events) as events_in_month
    from contribution_totals
    group by 1, 2, 3, 4, 5, 6
),

running_monthly_counts as (
    select
        *,
        sum(events_in_month) over (
            partition by account_id, milestone_id, criterion_id, group_value
            order by counted_in_month nulls first
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

met_rows as (
    select
        account_id,
        milestone_id,
        criterion_id,
        true as is_met,
        met_at,
        met_by_event_id,
        met_in_group,
        cast(null as {{ dbt.type_string() }}) as group_value,
        cast(null as {{ dbt.type_string() }}) as distinct_value,
        cast(null as {{ dbt.type_bigint() }}) as counted_events,
        cast(null as {{ dbt.type_timestamp() }}) as last_counted_at
    from met_criteria
),

-- the running measures of the pairs not met, which a later build extends
measures_not_met as (
    select
        contribution_totals.account_id,
        contribution_totals.milestone_id,
        contribution_totals.criterion_id,
        contribution_totals.group_value,
        contribution_totals.distinct_value,
        sum(contribution_totals.counted_events) as counted_events,
        max(contribution_totals.last_counted_at) as last_counted_at
    from contribution_totals
    left join met_criteria
        on
            contribution_totals.account_id = met_criteria.account_id
            and contribution_totals.milestone_id = met_criteria.milestone_id
            and contribution_totals.criterion_id = met_criteria.criterion_id
    where met_criteria.account_id is null
    group by 1, 2, 3, 4, 5
),

measure_rows as (
    select
        account_id,
        milestone_id,
        criterion_id,
        false as is_met,
        cast(null as {{ dbt.type_timestamp() }}) as met_at,
        cast(null as {{ dbt.type_string() }}) as met_by_event_id,
        cast(null as {{ dbt.type_string() }}) as met_in_group,
        group_value,
        distinct_value,
        cast(counted_events as {{ dbt.type_bigint() }}) as counted_events,
        last_counted_at
    from measures_not_met
),

final as (
    select
        progress.*,
        (select contract_loads.processed_load_id from contract_loads) as processed_load_id,
        {{ criteria_fingerprint() }} as seed_fingerprint
    from (
        select * from met_rows
        union all
        select * from measure_rows
    ) as progress
)

select * from final
