-- The customer record (docs/rules.md §6): one row per account with the milestone fields a CSM reads
-- without running a report, its health score and churn, and the dates the CRM derives its counters
-- from. Each milestone's completion date sits in a numbered slot (slot n = the milestone of sequence
-- n in the account's segment), so the columns stay the same whatever the seeds say.
-- dim_account_milestone_status and crm_account_milestone_sync publish it.

{%- set slots = var('customer_record_milestone_slots') %}

with

account_milestones as (
    select * from {{ ref('int_account_milestones__stall_checked') }}
),

accounts as (
    select * from {{ ref('int_accounts__current') }}
    where cast(signed_up_at as date) <= {{ as_of_date() }}
),

-- renewal outcomes known by the as-of date
account_outcomes as (
    select * from {{ ref('int_retention__account_outcomes') }}
),

-- the milestone-weighted health score on the as-of date (models/intermediate/health)
health_scores as (
    select * from {{ ref('int_health__scores') }}
    where point_type = 'current'
),

milestone_rollups as (
    select
        account_id,
        count(*) as milestones_total,
        count(completed_at) as milestones_completed,
        max(completed_at) as last_milestone_completed_at,
        {% for slot in range(1, slots + 1) %}
        max(case when sequence = {{ slot }} then milestone_id end) as milestone_{{ '%02d' % slot }}_id,
        max(case when sequence = {{ slot }} then completed_at end) as milestone_{{ '%02d' % slot }}_completed_at,
        {% endfor %}
        {{ dbt.bool_or('is_stalled') }} as is_stalled
    from account_milestones
    group by 1
),

current_milestones as (
    select * from account_milestones
    where status = 'active'
),

final as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.crm_id,
        accounts.owner,
        accounts.segment,
        accounts.arr,
        accounts.signed_up_at,
        milestone_rollups.milestones_completed,
        milestone_rollups.milestones_total,
        cast(milestone_rollups.milestones_completed as {{ type_double() }}) / milestone_rollups.milestones_total
            as milestone_completion_share,
        current_milestones.milestone_id as current_milestone_id,
        current_milestones.milestone_name as current_milestone_name,
        next_milestones.milestone_id as next_milestone_id,
        next_milestones.milestone_name as next_milestone_name,
        current_milestones.days_waiting as days_in_current_milestone,
        current_milestones.stall_threshold_days as current_milestone_threshold_days,
        coalesce(milestone_rollups.is_stalled, false) as is_stalled,
        coalesce(current_milestones.days_overdue, 0) as days_overdue,
        -- the dates the counters start from (a CRM computes "days" itself, see crm_account_milestone_sync)
        cast(current_milestones.clock_started_at as date) as current_milestone_started_on,
        current_milestones.due_on as current_milestone_due_on,
        case when milestone_rollups.is_stalled then current_milestones.stall_starts_on end as stalled_since_on,
        case when milestone_rollups.is_stalled then current_milestones.playbook end as stall_playbook,
        health_scores.health_score,
        health_scores.health_band,
        coalesce(account_outcomes.is_churned, false) as is_churned,
        milestone_rollups.last_milestone_completed_at,
        {% for slot in range(1, slots + 1) %}
        milestone_rollups.milestone_{{ '%02d' % slot }}_id,
        milestone_rollups.milestone_{{ '%02d' % slot }}_completed_at,
        {% endfor %}
        {{ as_of_date() }} as as_of_date
    from accounts
    inner join milestone_rollups
        on accounts.account_id = milestone_rollups.account_id
    left join current_milestones
        on accounts.account_id = current_milestones.account_id
    left join health_scores
        on accounts.account_id = health_scores.account_id
    left join account_outcomes
        on accounts.account_id = account_outcomes.account_id
    left join account_milestones as next_milestones
        on
            current_milestones.account_id = next_milestones.account_id
            and current_milestones.sequence + 1 = next_milestones.sequence
)

select * from final
