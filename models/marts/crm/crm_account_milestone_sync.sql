-- What the CRM holds about each account's milestones (spec section 6): one row per account keyed by
-- its crm_id, in the CRM's field vocabulary (snake_case custom fields; the Salesforce API name of each
-- is in the YAML meta), with a row hash over every synced field and updated_at.
--
-- Deterministic on purpose: no build time and no counter that ticks every day (days waiting, days
-- overdue) is synced. The CRM gets the dates those counters start from (current_milestone_started_on,
-- current_milestone_due_on, stalled_since_on) and computes "days" as formula fields, so a rebuild with
-- no new data changes no hash, and a new day changes only the rows whose facts changed.
-- updated_at is the as-of date (midnight UTC): the day this version of the record describes. It is
-- outside the hash; the snapshot crm_account_milestone_sync_snapshot keeps each version with the
-- updated_at of the build that first produced it, i.e. the day the change was first seen.
-- Accounts without a crm_id have no CRM record to update and are left out.

{%- set slots = var('customer_record_milestone_slots') %}
{%- set synced_columns = [
    'crm_id', 'account_id', 'account_name', 'account_owner', 'segment', 'arr', 'signed_up_on',
    'milestones_completed', 'milestones_total', 'milestone_progress_pct',
    'current_milestone_id', 'current_milestone_name', 'current_milestone_started_on', 'current_milestone_due_on',
    'next_milestone_id', 'next_milestone_name', 'is_stalled', 'stalled_since_on', 'stall_playbook',
    'health_score', 'health_band', 'last_milestone_completed_on',
] %}
{%- for slot in range(1, slots + 1) %}
{%- do synced_columns.append('milestone_%02d_id' % slot) %}
{%- do synced_columns.append('milestone_%02d_completed_on' % slot) %}
{%- endfor %}
{%- set hash_parts = [] %}
{%- for column in synced_columns %}
{%- do hash_parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '<null>')") %}
{%- endfor %}

with

customer_records as (
    select * from {{ ref('dim_account_milestone_status') }}
    where crm_id is not null
),

account_milestones as (
    select * from {{ ref('fct_account_milestones') }}
),

definitions as (
    select * from {{ ref('int_milestone_definitions') }}
),

-- the stall facts come from the milestone grain, not the intervention queue: the queue leaves out
-- churned accounts, the customer record does not
active_milestones as (
    select
        account_milestones.account_id,
        account_milestones.stall_threshold_days,
        definitions.playbook,
        cast(account_milestones.clock_started_at as date) as started_on
    from account_milestones
    inner join definitions
        on
            account_milestones.segment = definitions.segment
            and account_milestones.milestone_id = definitions.milestone_id
    where account_milestones.status = 'active'
),

-- the last day before the stall (start + threshold) and the first stalled day (the queue's first_due_on)
active_milestone_dates as (
    select
        account_id,
        playbook,
        started_on,
        cast({{ dbt.dateadd('day', 'stall_threshold_days', 'started_on') }} as date) as due_on,
        cast({{ dbt.dateadd('day', 'stall_threshold_days + 1', 'started_on') }} as date) as stall_starts_on
    from active_milestones
),

synced as (
    select
        customer_records.crm_id,
        customer_records.account_id,
        customer_records.account_name,
        customer_records.owner as account_owner,
        customer_records.segment,
        cast(customer_records.arr as numeric(18, 2)) as arr,
        cast(customer_records.signed_up_at as date) as signed_up_on,
        cast(customer_records.milestones_completed as integer) as milestones_completed,
        cast(customer_records.milestones_total as integer) as milestones_total,
        cast(
            floor(100.0 * customer_records.milestones_completed / customer_records.milestones_total) as integer
        ) as milestone_progress_pct,
        customer_records.current_milestone_id,
        customer_records.current_milestone_name,
        active_milestone_dates.started_on as current_milestone_started_on,
        active_milestone_dates.due_on as current_milestone_due_on,
        customer_records.next_milestone_id,
        customer_records.next_milestone_name,
        customer_records.is_stalled,
        case when customer_records.is_stalled then active_milestone_dates.stall_starts_on end as stalled_since_on,
        case when customer_records.is_stalled then active_milestone_dates.playbook end as stall_playbook,
        cast(round(cast(customer_records.health_score as numeric(8, 3)), 0) as integer) as health_score,
        customer_records.health_band,
        cast(customer_records.last_milestone_completed_at as date) as last_milestone_completed_on,
        {% for slot in range(1, slots + 1) %}
        customer_records.milestone_{{ '%02d' % slot }}_id,
        cast(customer_records.milestone_{{ '%02d' % slot }}_completed_at as date)
            as milestone_{{ '%02d' % slot }}_completed_on,
        {% endfor %}
        cast({{ as_of_date() }} as {{ dbt.type_timestamp() }}) as updated_at
    from customer_records
    left join active_milestone_dates
        on customer_records.account_id = active_milestone_dates.account_id
),

final as (
    select
        {% for column in synced_columns %}
        {{ column }},
        {% endfor %}
        -- every synced field as text (nulls marked), joined with a separator
        {{ dbt.hash(hash_parts | join(" || '|' || ")) }} as row_hash,
        updated_at
    from synced
)

select * from final
