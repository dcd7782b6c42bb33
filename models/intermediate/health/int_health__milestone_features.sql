-- The milestone side of the health score at each scoring point, from what was known on the scoring
-- date only: the milestone clock at that point (int_account_milestones__clock, which is the engine
-- run as of the scoring date: see its header). Velocity is measured against the seeded target_days,
-- not the peers' p75, whose value on a past date would use later completions.

with

clock as (
    select * from {{ ref('int_account_milestones__clock') }}
),

definitions as (
    select * from {{ ref('int_milestone_definitions') }}
),

paced as (
    select
        clock.*,
        definitions.target_days,
        definitions.weight,
        case
            when clock.status = 'completed' then greatest(clock.days_from_previous, 0)
            when clock.status = 'active' then clock.days_waiting
        end as days_taken_or_waiting
    from clock
    inner join definitions
        on
            clock.segment = definitions.segment
            and clock.milestone_id = definitions.milestone_id
),

scored_milestones as (
    select
        paced.*,
        case
            -- completed before its predecessor (as known on the scoring date): it took no time of its own
            when status = 'completed' and days_from_previous is null then 1.0
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
        count(completed_at) as milestones_completed,
        -- each milestone counts its seeded weight; a segment weighted all zero counts them equally.
        -- A sum of doubles depends on its order: weights and paces are added in sequence order, so
        -- every build gives the same bits.
        coalesce(
            {{ safe_divide(
                ordered_sum('case when completed_at is not null then weight else 0 end', 'sequence'),
                ordered_sum('weight', 'sequence')
            ) }},
            cast(count(completed_at) as {{ type_double() }}) / count(*)
        ) as milestone_completion_share,
        cast({{ ordered_avg('pace', 'sequence') }} as {{ type_double() }}) as milestone_velocity,
        max(case when status = 'active' then milestone_id end) as active_milestone_id,
        cast(max(case when status = 'active' then days_waiting end) as {{ dbt.type_int() }})
            as days_in_active_milestone,
        coalesce(
            {{ dbt.bool_or("status = 'active' and days_waiting > target_days") }},
            false
        ) as is_behind_target,
        max(completed_at) as latest_completion_used_at
    from scored_milestones
    group by 1, 2, 3, 4
)

select * from final
