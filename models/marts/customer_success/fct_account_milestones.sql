-- One row per account and milestone of its segment: the milestone fields of the customer record
-- (the stall rule is applied in int_account_milestones__stall_checked).

with

account_milestones as (
    select * from {{ ref('int_account_milestones__stall_checked') }}
),

final as (
    select
        account_id,
        segment,
        milestone_id,
        sequence,
        status,
        completed_at,
        completion_source,
        days_from_signup,
        days_from_previous,
        is_stalled,
        days_overdue,
        days_waiting,
        target_days,
        stall_threshold_days,
        stall_threshold_source,
        clock_started_at,
        product_completed_at,
        overridden_at
    from account_milestones
)

select * from final
