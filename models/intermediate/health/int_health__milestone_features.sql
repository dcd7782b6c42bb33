-- The milestone side of the health score at each scoring point, from what was known on the scoring
-- date only. It reuses the engine's completions (int_account_milestone_completions, as of the as-of
-- date) and keeps a completion only when its UTC date is on or before the scoring date. That is
-- exactly the engine run as of the scoring date: completed_at is built from criteria met-at and
-- override dates with min and max only, and "keep t if t's date <= S, else never" is monotone, so it
-- passes through every min and max (criteria met-at itself is the threshold-th event in time order,
-- which does not move when later events are removed). Velocity is measured against the seeded
-- target_days, not the peers' p75, whose value on a past date would use later completions.

with

points as (
    select * from {{ ref('int_health__scoring_points') }}
),

completions as (
    select * from {{ ref('int_account_milestone_completions') }}
),

definitions as (
    select * from {{ ref('int_milestone_definitions') }}
),

point_milestones as (
    select
        points.scoring_point_id,
        points.point_type,
        points.account_id,
        points.scored_on,
        points.signed_up_at,
        completions.milestone_id,
        completions.sequence,
        definitions.target_days,
        definitions.weight,
        case
            when cast(completions.completed_at as date) <= points.scored_on then completions.completed_at
        end as known_completed_at
    from points
    inner join completions
        on points.account_id = completions.account_id
    inner join definitions
        on
            completions.segment = definitions.segment
            and completions.milestone_id = definitions.milestone_id
),

clocked as (
    select
        point_milestones.*,
        -- the clock of a milestone starts when the previous one completed (signup for the first)
        case
            when sequence = 1 then signed_up_at
            else lag(known_completed_at) over (partition by scoring_point_id order by sequence)
        end as clock_started_at,
        min(case when known_completed_at is null then sequence end)
            over (partition by scoring_point_id) as active_sequence
    from point_milestones
),

paced as (
    select
        clocked.*,
        case
            when known_completed_at is not null and clock_started_at is not null
                then greatest({{ days_between('clock_started_at', 'known_completed_at') }}, 0)
            when sequence = active_sequence
                then {{ days_between('clock_started_at', 'scored_on') }}
        end as days_taken_or_waiting
    from clocked
),

scored_milestones as (
    select
        paced.*,
        case
            -- completed before its predecessor: it took no time of its own
            when known_completed_at is not null and clock_started_at is null then 1.0
            when days_taken_or_waiting is not null
                then least(
                        1.0,
                        cast(target_days + 1 as {{ type_double() }}) / (days_taken_or_waiting + 1)
                    )
        end as pace
    from paced
),

final as (
    select
        scoring_point_id,
        point_type,
        account_id,
        scored_on,
        count(*) as milestones_total,
        count(known_completed_at) as milestones_completed,
        -- each milestone counts its seeded weight; a segment weighted all zero counts them equally
        coalesce(
            {{ safe_divide(
                'sum(case when known_completed_at is not null then weight else 0 end)', 'sum(weight)'
            ) }},
            cast(count(known_completed_at) as {{ type_double() }}) / count(*)
        ) as milestone_completion_share,
        cast(avg(pace) as {{ type_double() }}) as milestone_velocity,
        max(case when sequence = active_sequence then milestone_id end) as active_milestone_id,
        cast(max(case when sequence = active_sequence then days_taken_or_waiting end) as {{ dbt.type_int() }})
            as days_in_active_milestone,
        coalesce(
            {{ dbt.bool_or('sequence = active_sequence and days_taken_or_waiting > target_days') }},
            false
        ) as is_behind_target,
        max(known_completed_at) as latest_completion_used_at
    from scored_milestones
    group by 1, 2, 3, 4
)

select * from final
