-- One row per known renewal that could be scored: both scores as they stood
-- backtest_days_before_renewal days before the renewal (segment_settings, else the var), from what
-- was known then, beside the outcome. The base of the backtest; latest_input_on proves what the
-- score was allowed to see.

with

scores as (
    select * from {{ ref('int_health__scores') }}
    where point_type = 'renewal'
),

points as (
    select * from {{ ref('int_health__scoring_points') }}
),

milestone_features as (
    select * from {{ ref('int_health__milestone_features') }}
),

engagement_features as (
    select * from {{ ref('int_health__engagement_features') }}
),

renewals as (
    select * from {{ ref('int_renewals__outcomes') }}
),

latest_activity as (
    select
        scoring_point_id,
        max(latest_activity_on) as latest_activity_on
    from engagement_features
    group by 1
),

final as (
    select
        renewals.renewal_id,
        renewals.account_id,
        renewals.segment,
        renewals.renewal_date,
        scores.scored_on,
        renewals.outcome,
        renewals.is_churned,
        renewals.is_expansion,
        renewals.arr_before,
        renewals.arr_after,
        scores.health_score,
        scores.health_band,
        scores.engagement_score,
        scores.engagement_band,
        milestone_features.milestones_completed,
        milestone_features.milestones_total,
        milestone_features.milestone_completion_share,
        milestone_features.milestone_velocity,
        -- the latest evidence any score used: a milestone completion or a day with activity
        case
            when milestone_features.latest_completion_used_at is null then latest_activity.latest_activity_on
            when latest_activity.latest_activity_on is null
                then cast(milestone_features.latest_completion_used_at as date)
            else greatest(
                    cast(milestone_features.latest_completion_used_at as date), latest_activity.latest_activity_on
                )
        end as latest_input_on
    from scores
    inner join points
        on scores.scoring_point_id = points.scoring_point_id
    inner join renewals
        on points.renewal_id = renewals.renewal_id
    left join milestone_features
        on scores.scoring_point_id = milestone_features.scoring_point_id
    left join latest_activity
        on scores.scoring_point_id = latest_activity.scoring_point_id
)

select * from final
