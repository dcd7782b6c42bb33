-- Each scoring point's score components: one row per point and component of its score in the
-- health_score_weights seed, with the raw value, its 0-1 normalised value (by the seeded scaling and
-- saturation) and the points it adds to its score: 100 x normalised x the component's share of its
-- score's weights. A seed row with a segment replaces the all-segments row (empty segment) of the
-- same score and component for that segment. Weights are data: the join over the seed decides what
-- counts and how much.

with

points as (
    select * from {{ ref('int_health__scoring_points') }}
),

milestone_features as (
    select * from {{ ref('int_health__milestone_features') }}
),

engagement_features as (
    select * from {{ ref('int_health__engagement_features') }}
),

weights as (
    -- the seed's well-formed rows, or the default weights when it has none (docs/rules.md §4)
    {{ health_score_weights_in_force() }}
),

normalised_weights as (
    select
        nullif(trim(segment), '') as segment,
        score as score_name,
        component,
        measure,
        coalesce(nullif(trim(event_name), ''), '*') as event_name,
        cast(weight as {{ type_double() }}) as weight,
        scaling,
        cast(saturation_value as {{ type_double() }}) as saturation_value
    from weights
),

segments as (
    select distinct segment from points
),

segment_rows as (
    select * from normalised_weights
    where segment is not null
),

-- each segment's components: its own rows, and the all-segments rows it does not replace
segment_components as (
    select * from segment_rows

    union all

    select
        segments.segment,
        all_segment_rows.score_name,
        all_segment_rows.component,
        all_segment_rows.measure,
        all_segment_rows.event_name,
        all_segment_rows.weight,
        all_segment_rows.scaling,
        all_segment_rows.saturation_value
    from normalised_weights as all_segment_rows
    cross join segments
    left join segment_rows
        on
            segments.segment = segment_rows.segment
            and all_segment_rows.score_name = segment_rows.score_name
            and all_segment_rows.component = segment_rows.component
    where all_segment_rows.segment is null and segment_rows.component is null
),

components as (
    select
        segment_components.*,
        weight / sum(weight) over (partition by segment, score_name) as weight_share
    from segment_components
),

feature_values as (
    select
        scoring_point_id,
        'milestone_completion' as measure,
        '*' as event_name,
        milestone_completion_share as raw_value
    from milestone_features

    union all

    select
        scoring_point_id,
        'milestone_velocity' as measure,
        '*' as event_name,
        milestone_velocity as raw_value
    from milestone_features

    union all

    select
        scoring_point_id,
        measure,
        event_name,
        raw_value
    from engagement_features
),

valued as (
    select
        points.scoring_point_id,
        points.point_type,
        points.account_id,
        points.segment,
        points.scored_on,
        components.score_name,
        components.component,
        components.measure,
        components.event_name,
        components.weight,
        components.weight_share,
        components.scaling,
        components.saturation_value,
        greatest(coalesce(feature_values.raw_value, 0), 0) as raw_value
    from points
    inner join components
        on points.segment = components.segment
    left join feature_values
        on
            points.scoring_point_id = feature_values.scoring_point_id
            and components.measure = feature_values.measure
            and components.event_name = feature_values.event_name
),

normalised as (
    select
        valued.*,
        case
            when scaling = 'linear' then least(raw_value / saturation_value, 1)
            when scaling = 'log' then least(ln(1 + raw_value) / ln(1 + saturation_value), 1)
            else least(raw_value, 1)
        end as normalised_value
    from valued
),

final as (
    select
        scoring_point_id,
        point_type,
        account_id,
        segment,
        scored_on,
        score_name,
        component,
        measure,
        event_name,
        weight,
        weight_share,
        scaling,
        saturation_value,
        raw_value,
        cast(normalised_value as {{ type_double() }}) as normalised_value,
        cast(100 * weight_share * normalised_value as {{ type_double() }}) as score_points
    from normalised
)

select * from final
