-- The customer record's history (int_accounts__status_history) holds, for the build's as-of day,
-- exactly what the customer record says that day (int_accounts__customer_record): the same accounts,
-- milestones, current milestone, stall, health and churn. The history computes its days from the
-- point-in-time models at that day's scoring points and its own per-day stall threshold; this keeps
-- the two in agreement. Returns the accounts where they differ.

with

customer_records as (
    select * from {{ ref('int_accounts__customer_record') }}
),

-- the day the customer record describes
status_history as (
    select * from {{ ref('int_accounts__status_history') }}
    where as_of_date in (select customer_records.as_of_date from customer_records)
),

final as (
    select
        coalesce(customer_records.account_id, status_history.account_id) as account_id,
        customer_records.account_id is not null as is_on_customer_record,
        status_history.account_id is not null as is_in_history
    from customer_records
    full outer join status_history
        on customer_records.account_id = status_history.account_id
    where
        customer_records.account_id is null
        or status_history.account_id is null
        or customer_records.segment != status_history.segment
        or customer_records.milestones_completed != status_history.milestones_completed
        or customer_records.milestones_total != status_history.milestones_total
        or coalesce(customer_records.current_milestone_id, '') != coalesce(status_history.current_milestone_id, '')
        or coalesce(customer_records.days_in_current_milestone, -1)
        != coalesce(status_history.days_in_current_milestone, -1)
        or customer_records.is_stalled != status_history.is_stalled
        or customer_records.days_overdue != status_history.days_overdue
        or customer_records.health_score != status_history.health_score
        or customer_records.health_band != status_history.health_band
        or customer_records.is_churned != status_history.is_churned
)

select * from final
