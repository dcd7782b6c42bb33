-- The backtest's observations in long form: one row per scored renewal, score (health, engagement),
-- segment scope (the renewal's segment, and `all`) and renewal scope (`all_renewals`, and
-- `first_renewal` or `later_renewals`), each score as it stood on the renewal's scoring date.
-- First renewals are scored early in an account's life and churn at other rates than later ones, so
-- a pooled figure can reward a score for telling the two apart; the renewal scopes show it.

with

scores as (
    select * from {{ ref('int_health__scores') }}
    where point_type = 'renewal'
),

renewals as (
    select * from {{ ref('int_renewals__outcomes') }}
),

scored_renewals as (
    select
        renewals.renewal_id,
        renewals.segment,
        case when renewals.renewal_number = 1 then 'first_renewal' else 'later_renewals' end as renewal_scope,
        renewals.is_churned,
        renewals.is_expansion,
        {{ days_between('scores.scored_on', 'renewals.renewal_date') }} as days_before_renewal,
        scores.health_score,
        scores.health_band,
        scores.engagement_score,
        scores.engagement_band
    from scores
    inner join renewals
        on scores.renewal_id = renewals.renewal_id
),

by_score as (
    select
        renewal_id,
        segment,
        renewal_scope,
        'health' as score_name,
        health_score as score_value,
        health_band as band,
        is_churned,
        is_expansion,
        days_before_renewal
    from scored_renewals

    union all

    select
        renewal_id,
        segment,
        renewal_scope,
        'engagement' as score_name,
        engagement_score as score_value,
        engagement_band as band,
        is_churned,
        is_expansion,
        days_before_renewal
    from scored_renewals
),

by_segment as (
    select * from by_score

    union all

    select
        renewal_id,
        'all' as segment,
        renewal_scope,
        score_name,
        score_value,
        band,
        is_churned,
        is_expansion,
        days_before_renewal
    from by_score
),

final as (
    select * from by_segment

    union all

    select
        renewal_id,
        segment,
        'all_renewals' as renewal_scope,
        score_name,
        score_value,
        band,
        is_churned,
        is_expansion,
        days_before_renewal
    from by_segment
)

select * from final
