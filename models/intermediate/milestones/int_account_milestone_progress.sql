-- Each account's milestones with their status and whole-UTC-day timings (spec section 6), before
-- stall detection, which needs the segment baselines computed from these rows.

with

completions as (
    select * from {{ ref('int_account_milestone_completions') }}
),

incomplete_sequences as (
    select
        account_id,
        min(sequence) as active_sequence
    from completions
    where completed_at is null
    group by 1
),

timed as (
    select
        completions.account_id,
        completions.segment,
        completions.milestone_id,
        completions.sequence,
        completions.signed_up_at,
        completions.criteria_met_at,
        completions.product_completed_at,
        completions.overridden_at,
        completions.completed_at,
        completions.completion_source,
        -- the clock of a milestone starts when the previous one completed (signup for the first)
        case
            when completions.sequence = 1 then completions.signed_up_at
            else previous_completions.completed_at
        end as clock_started_at,
        case
            when completions.completed_at is not null then 'completed'
            when completions.sequence = incomplete_sequences.active_sequence then 'active'
            else 'pending'
        end as status
    from completions
    left join completions as previous_completions
        on
            completions.account_id = previous_completions.account_id
            and completions.previous_milestone_id = previous_completions.milestone_id
    left join incomplete_sequences
        on completions.account_id = incomplete_sequences.account_id
),

final as (
    select
        timed.*,
        case
            when completed_at is not null
                then cast({{ days_between('signed_up_at', 'completed_at') }} as {{ dbt.type_int() }})
        end as days_from_signup,
        case
            when completed_at is not null and clock_started_at is not null
                then cast({{ days_between('clock_started_at', 'completed_at') }} as {{ dbt.type_int() }})
        end as days_from_previous,
        case
            when status = 'active'
                then cast({{ days_between('clock_started_at', as_of_date()) }} as {{ dbt.type_int() }})
        end as days_waiting
    from timed
)

select * from final
