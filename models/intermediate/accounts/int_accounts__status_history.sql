-- The customer record over time (docs/rules.md §6, docs/history.md): one row per account and day
-- with its segment, milestones completed, current milestone, stall, health score and band, and churn,
-- as they stood that day. fct_account_status_history publishes it; mart_health_band_movements reads it.
--
-- Which days: a build writes its as-of day, from the current scoring points; `milestones history`
-- fills past days, from the history scoring points of the days it asks for (macro history_days,
-- int_health__history_points).
-- Either way every figure comes from the point-in-time models at that day's points: the milestone
-- clock (int_account_milestones__clock: the engine run as of that day), the milestone features and
-- the health score (int_health__scores). A filled day is therefore what a build as of that day
-- writes for the same data. The stall threshold is taken per day too: where a segment uses the
-- peers' p75, a past day's p75 counts only the completions known that day.
--
-- Incremental, delete+insert by as_of_date: writing a day replaces every row of that day and leaves
-- the other days alone. full_refresh=false: the past days cannot be rebuilt from one build, so
-- `milestones build --full-refresh` keeps them (to start the history over, drop the table).
-- On Spark the table is partitioned by as_of_date: writing a day overwrites that partition alone.

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date',
    on_schema_change='fail',
    partition_by=spark_partition_by('as_of_date'),
    full_refresh=false,
) }}

{%- set point_type = 'history' if history_days() else 'current' %}

with

clock as (
    select * from {{ ref('int_account_milestones__clock') }}
    where point_type = '{{ point_type }}'
),

milestone_features as (
    select * from {{ ref('int_health__milestone_features') }}
    where point_type = '{{ point_type }}'
),

scores as (
    select * from {{ ref('int_health__scores') }}
    where point_type = '{{ point_type }}'
),

definitions as (
    select * from {{ ref('int_milestone_definitions') }}
),

renewals as (
    select * from {{ ref('int_renewals__outcomes') }}
),

-- churned on a day: a renewal on or before it churned (the customer record's is_churned)
first_churns as (
    select
        account_id,
        min(renewal_date) as first_churned_on
    from renewals
    where is_churned
    group by 1
),

-- the peers' velocity as known on each day: int_segment_milestone_baselines, per day
observed as (
    select
        scored_on,
        segment,
        milestone_id,
        count(days_from_previous) as accounts_timed,
        cast(
            {{ percentile_cont('case when days_from_previous < 0 then 0 else days_from_previous end', 0.75) }}
            as {{ type_double() }}
        ) as p75_days_from_previous
    from clock
    group by 1, 2, 3
),

thresholds as (
    select
        observed.scored_on,
        observed.segment,
        observed.milestone_id,
        {{ stall_threshold_days(
            'definitions.stall_baseline',
            'definitions.min_peer_completions',
            'observed.accounts_timed',
            'observed.p75_days_from_previous',
            'definitions.target_days',
        ) }} as stall_threshold_days
    from observed
    inner join definitions
        on
            observed.segment = definitions.segment
            and observed.milestone_id = definitions.milestone_id
),

-- the active milestone of each account and day against that day's threshold
current_milestones as (
    select
        milestone_features.scoring_point_id,
        milestone_features.active_milestone_id,
        milestone_features.days_in_active_milestone,
        thresholds.stall_threshold_days
    from milestone_features
    inner join scores
        on milestone_features.scoring_point_id = scores.scoring_point_id
    inner join thresholds
        on
            milestone_features.scored_on = thresholds.scored_on
            and scores.segment = thresholds.segment
            and milestone_features.active_milestone_id = thresholds.milestone_id
),

final as (
    select
        scores.scored_on as as_of_date,
        scores.account_id,
        scores.segment,
        milestone_features.milestones_completed,
        milestone_features.milestones_total,
        milestone_features.active_milestone_id as current_milestone_id,
        milestone_features.days_in_active_milestone as days_in_current_milestone,
        coalesce(current_milestones.days_in_active_milestone > current_milestones.stall_threshold_days, false)
            as is_stalled,
        case
            when current_milestones.days_in_active_milestone > current_milestones.stall_threshold_days
                then current_milestones.days_in_active_milestone - current_milestones.stall_threshold_days
            else 0
        end as days_overdue,
        scores.health_score,
        scores.health_band,
        coalesce(first_churns.first_churned_on <= scores.scored_on, false) as is_churned
    from scores
    -- accounts whose segment has milestones, as on the customer record
    inner join milestone_features
        on scores.scoring_point_id = milestone_features.scoring_point_id
    left join current_milestones
        on scores.scoring_point_id = current_milestones.scoring_point_id
    left join first_churns
        on scores.account_id = first_churns.account_id
)

select * from final
