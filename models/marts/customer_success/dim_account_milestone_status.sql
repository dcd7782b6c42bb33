-- The customer record: one row per account with the milestone fields a CSM reads without running a
-- report. Each milestone's completion date sits in a numbered slot (slot n = the milestone of
-- sequence n in the account's segment), so the columns stay the same whatever the seeds say.

{%- set slots = var('customer_record_milestone_slots') %}

with

account_milestones as (
    select * from {{ ref('fct_account_milestones') }}
),

definitions as (
    select * from {{ ref('int_milestone_definitions') }}
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

named_milestones as (
    select
        account_milestones.*,
        definitions.milestone_name
    from account_milestones
    inner join definitions
        on
            account_milestones.segment = definitions.segment
            and account_milestones.milestone_id = definitions.milestone_id
),

milestone_rollups as (
    select
        account_id,
        count(*) as milestones_total,
        count(completed_at) as milestones_completed,
        max(completed_at) as last_milestone_completed_at,
        max(case when status = 'active' then sequence end) as current_sequence,
        {% for slot in range(1, slots + 1) %}
        max(case when sequence = {{ slot }} then milestone_id end) as milestone_{{ '%02d' % slot }}_id,
        max(case when sequence = {{ slot }} then completed_at end) as milestone_{{ '%02d' % slot }}_completed_at,
        {% endfor %}
        {{ dbt.bool_or('is_stalled') }} as is_stalled
    from named_milestones
    group by 1
),

current_milestones as (
    select * from named_milestones
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
    left join named_milestones as next_milestones
        on
            current_milestones.account_id = next_milestones.account_id
            and current_milestones.sequence + 1 = next_milestones.sequence
)

select * from final
