-- One row per account and milestone of its segment: the milestone fields of the customer record.

with

progress as (
    select * from {{ ref('int_account_milestone_progress') }}
),

baselines as (
    select * from {{ ref('int_segment_milestone_baselines') }}
),

final as (
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
        progress.overridden_at
    from progress
    inner join baselines
        on
            progress.segment = baselines.segment
            and progress.milestone_id = baselines.milestone_id
)

select * from final
