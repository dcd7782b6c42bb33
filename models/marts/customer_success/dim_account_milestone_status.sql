-- The customer record: one row per account with the milestone fields a CSM reads without running a
-- report (built in int_accounts__customer_record). Each milestone's completion date sits in a
-- numbered slot (slot n = the milestone of sequence n in the account's segment).

{%- set slots = var('customer_record_milestone_slots') %}

with

customer_records as (
    select * from {{ ref('int_accounts__customer_record') }}
),

final as (
    select
        account_id,
        account_name,
        crm_id,
        owner,
        segment,
        arr,
        signed_up_at,
        milestones_completed,
        milestones_total,
        milestone_completion_share,
        current_milestone_id,
        current_milestone_name,
        next_milestone_id,
        next_milestone_name,
        days_in_current_milestone,
        current_milestone_threshold_days,
        is_stalled,
        days_overdue,
        health_score,
        health_band,
        is_churned,
        last_milestone_completed_at,
        {% for slot in range(1, slots + 1) %}
        milestone_{{ '%02d' % slot }}_id,
        milestone_{{ '%02d' % slot }}_completed_at,
        {% endfor %}
        as_of_date
    from customer_records
)

select * from final
