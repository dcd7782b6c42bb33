-- The customer record over time: one row per account and day (docs/rules.md §6, docs/history.md),
-- each day as a build as of that day records it (built in int_accounts__status_history, which each
-- build adds its as-of day to and `milestones history` fills for past days).

-- A view: the history model is incremental, so this costs nothing to refresh.
{{ config(materialized=public_view()) }}

with

status_history as (
    select * from {{ ref('int_accounts__status_history') }}
),

final as (
    select
        as_of_date,
        account_id,
        segment,
        milestones_completed,
        milestones_total,
        current_milestone_id,
        days_in_current_milestone,
        is_stalled,
        days_overdue,
        health_score,
        health_band,
        is_churned
    from status_history
)

select * from final
