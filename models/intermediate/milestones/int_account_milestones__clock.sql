-- The milestone clock (docs/rules.md §6) at every scoring point of int_health__scoring_points: each
-- account on the as-of date (point_type current) and each renewal's backtest date. Per point and
-- milestone: whether it was completed by the scoring date, its status (the active milestone is the
-- lowest-sequence incomplete one), when its clock started (the previous-sequence milestone's
-- completion; signup for sequence 1), and the whole UTC days from that start to its completion or,
-- while active, to the scoring date. The milestone engine reads the current points, the health score
-- every point: one clock for both.
--
-- Point in time: it reuses the engine's completions (int_account_milestone_completions, as of the
-- as-of date) and keeps a completion only when its UTC date is on or before the scoring date. That is
-- exactly the engine run as of the scoring date: completed_at is built from criteria met-at and
-- override dates with min and max only, and "keep t if t's date <= S, else never" is monotone, so it
-- passes through every min and max (criteria met-at itself is the threshold-th event in time order,
-- which does not move when later events are removed). A clock start is a completion, kept the same way.

with

points as (
    select * from {{ ref('int_health__scoring_points') }}
),

completions as (
    select * from {{ ref('int_account_milestone_completions') }}
),

-- each milestone beside the completion of the previous-sequence one, as of the as-of date
sequenced_completions as (
    select
        completions.account_id,
        completions.segment,
        completions.signed_up_at,
        completions.milestone_id,
        completions.sequence,
        completions.completed_at,
        previous_completions.completed_at as previous_completed_at
    from completions
    left join completions as previous_completions
        on
            completions.account_id = previous_completions.account_id
            and completions.previous_milestone_id = previous_completions.milestone_id
),

-- what was known on each scoring date
known_completions as (
    select
        points.scoring_point_id,
        points.point_type,
        points.account_id,
        points.scored_on,
        sequenced_completions.segment,
        sequenced_completions.milestone_id,
        sequenced_completions.sequence,
        case
            when cast(sequenced_completions.completed_at as date) <= points.scored_on
                then sequenced_completions.completed_at
        end as completed_at,
        case
            when sequenced_completions.sequence = 1 then sequenced_completions.signed_up_at
            when cast(sequenced_completions.previous_completed_at as date) <= points.scored_on
                then sequenced_completions.previous_completed_at
        end as clock_started_at
    from points
    inner join sequenced_completions
        on points.account_id = sequenced_completions.account_id
),

active_sequences as (
    select
        known_completions.*,
        min(case when completed_at is null then sequence end)
            over (partition by scoring_point_id)
            as active_sequence
    from known_completions
),

statuses as (
    select
        scoring_point_id,
        point_type,
        account_id,
        scored_on,
        segment,
        milestone_id,
        sequence,
        completed_at,
        clock_started_at,
        case
            when completed_at is not null then 'completed'
            when sequence = active_sequence then 'active'
            else 'pending'
        end as status
    from active_sequences
),

final as (
    select
        statuses.*,
        case
            when completed_at is not null and clock_started_at is not null
                then cast({{ days_between('clock_started_at', 'completed_at') }} as {{ dbt.type_int() }})
        end as days_from_previous,
        case
            when status = 'active'
                then cast({{ days_between('clock_started_at', 'scored_on') }} as {{ dbt.type_int() }})
        end as days_waiting
    from statuses
)

select * from final
