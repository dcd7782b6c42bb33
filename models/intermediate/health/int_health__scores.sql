-- Both scores at each scoring point, 0-100 (one decimal), with their band from the
-- health_score_bands seed (the band with the highest min_score at or below the score). `health` is
-- the milestone-weighted score, `engagement` the engagement-only score it is compared with.

with

component_scores as (
    select * from {{ ref('int_health__component_scores') }}
),

points as (
    select * from {{ ref('int_health__scoring_points') }}
),

bands as (
    -- the seed's well-formed bands, or the default bands when it has none (docs/rules.md §4)
    {{ health_score_bands_in_force() }}
),

scores as (
    select
        scoring_point_id,
        score_name,
        {{ round_double('least(greatest(sum(score_points), 0), 100)', 1) }} as score_value
    from component_scores
    group by 1, 2
),

banded as (
    select
        scores.scoring_point_id,
        scores.score_name,
        scores.score_value,
        bands.band,
        row_number() over (
            partition by scores.scoring_point_id, scores.score_name
            order by bands.min_score desc
        ) as band_match
    from scores
    left join bands
        on scores.score_value >= bands.min_score
),

chosen_bands as (
    select * from banded
    where band_match = 1
),

final as (
    select
        points.scoring_point_id,
        points.point_type,
        points.account_id,
        points.segment,
        points.scored_on,
        points.renewal_id,
        max(case when chosen_bands.score_name = 'health' then chosen_bands.score_value end) as health_score,
        max(case when chosen_bands.score_name = 'health' then chosen_bands.band end) as health_band,
        max(case when chosen_bands.score_name = 'engagement' then chosen_bands.score_value end)
            as engagement_score,
        max(case when chosen_bands.score_name = 'engagement' then chosen_bands.band end) as engagement_band
    from points
    left join chosen_bands
        on points.scoring_point_id = chosen_bands.scoring_point_id
    group by 1, 2, 3, 4, 5, 6
)

select * from final
