-- Each account's milestones as of the as-of date with the stall rule applied (docs/rules.md §6): the
-- active milestone is stalled when its days waiting exceed its stall threshold (the seeded
-- target_days, or the peers' p75 where segment_settings ask for it: int_segment_milestone_baselines),
-- and days_overdue is how far past the threshold it is. Also the days the active milestone falls due
-- and would begin to stall, and the milestone's name and playbook: what the customer-success marts
-- and the CRM read.

with

progress as (
    select * from {{ ref('int_account_milestone_progress') }}
),

baselines as (
    select * from {{ ref('int_segment_milestone_baselines') }}
),

definitions as (
    select * from {{ ref('int_milestone_definitions') }}
),

stall_checked as (
    select
        progress.account_id,
        progress.segment,
        progress.milestone_id,
        progress.sequence,
        progress.status,
        progress.completed_at,
        progress.completion_source,
        progress.days_from_signup,
        progress.days_from_previous,
        coalesce(progress.days_waiting > baselines.stall_threshold_days, false) as is_stalled,
        case
            when progress.days_waiting > baselines.stall_threshold_days
                then progress.days_waiting - baselines.stall_threshold_days
            else 0
        end as days_overdue,
        progress.days_waiting,
        baselines.target_days,
        baselines.stall_threshold_days,
        baselines.stall_threshold_source,
        progress.clock_started_at,
        progress.product_completed_at,
        progress.overridden_at,
        definitions.milestone_name,
        definitions.playbook
    from progress
    inner join baselines
        on
            progress.segment = baselines.segment
            and progress.milestone_id = baselines.milestone_id
    inner join definitions
        on
            progress.segment = definitions.segment
            and progress.milestone_id = definitions.milestone_id
),

final as (
    select
        stall_checked.*,
        -- the active milestone's last day within its threshold, and its first stalled day
        case
            when status = 'active'
                then cast({{ dbt.dateadd('day', 'stall_threshold_days', 'cast(clock_started_at as date)') }} as date)
        end as due_on,
        case
            when status = 'active'
                then cast(
                        {{ dbt.dateadd('day', 'stall_threshold_days + 1', 'cast(clock_started_at as date)') }} as date
                    )
        end as stall_starts_on
    from stall_checked
)

select * from final
