-- Why an account scores what it scores: one row per account, score and component of the
-- health_score_weights seed on the as-of date, with the raw value, its 0-1 normalised value and the
-- points it adds. A score is the sum of its components' points (before rounding).

with

component_scores as (
    select * from {{ ref('int_health__component_scores') }}
    where point_type = 'current'
),

final as (
    select
        account_id,
        segment,
        scored_on,
        score_name,
        component,
        measure,
        event_name,
        raw_value,
        normalised_value,
        weight,
        weight_share,
        score_points
    from component_scores
)

select * from final
