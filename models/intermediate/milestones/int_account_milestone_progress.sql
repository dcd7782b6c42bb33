-- Each account's milestones with their status and whole-UTC-day timings (docs/rules.md §6) as of the
-- as-of date, before stall detection, which needs the segment baselines computed from these rows.
-- Status, clock start, days from previous and days waiting are the milestone clock's on the as-of
-- date (int_account_milestones__clock, current points).

with

completions as (
    select * from {{ ref('int_account_milestone_completions') }}
),

clock as (
    select * from {{ ref('int_account_milestones__clock') }}
    where point_type = 'current'
),

final as (
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
        clock.clock_started_at,
        clock.status,
        case
            when completions.completed_at is not null
                then cast(
                        {{ days_between('completions.signed_up_at', 'completions.completed_at') }}
                        as {{ dbt.type_int() }}
                    )
        end as days_from_signup,
        clock.days_from_previous,
        clock.days_waiting
    from completions
    inner join clock
        on
            completions.account_id = clock.account_id
            and completions.milestone_id = clock.milestone_id
)

select * from final
