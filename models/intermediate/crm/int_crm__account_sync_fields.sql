-- The fields a CRM holds about each account's milestones (docs/rules.md §6), computed for the as-of
-- date: one row per account keyed by its crm_id, in the CRM's field vocabulary (snake_case custom
-- fields; the Salesforce API name of each is in the mart's YAML meta), with a row hash over every
-- synced field and the as-of date the row describes.
--
-- Deterministic on purpose: no build time and no counter that ticks every day (days waiting, days
-- overdue) is synced. The CRM gets the dates those counters start from (current_milestone_started_on,
-- current_milestone_due_on, stalled_since_on) and computes "days" as formula fields, so a rebuild with
-- no new data changes no hash, and a new day changes only the rows whose facts changed.
-- as_of_date is outside the hash: the snapshot crm_account_milestone_sync_snapshot (check strategy on
-- row_hash) records a new version only when a synced field changed, and each version keeps the
-- as_of_date of the build that first recorded it.
-- Accounts without a crm_id have no CRM record to update and are left out.

{%- set slots = var('customer_record_milestone_slots') %}
{%- set hash_parts = [] %}
{%- for column in crm_synced_columns() %}
{%- do hash_parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '<null>')") %}
{%- endfor %}

with

customer_records as (
    select * from {{ ref('int_accounts__customer_record') }}
    where crm_id is not null
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
        customer_records.current_milestone_started_on,
        customer_records.current_milestone_due_on,
        customer_records.next_milestone_id,
        customer_records.next_milestone_name,
        customer_records.is_stalled,
        customer_records.stalled_since_on,
        customer_records.stall_playbook,
        cast(round(cast(customer_records.health_score as numeric(8, 3)), 0) as integer) as health_score,
        customer_records.health_band,
        cast(customer_records.last_milestone_completed_at as date) as last_milestone_completed_on,
        {% for slot in range(1, slots + 1) %}
        customer_records.milestone_{{ '%02d' % slot }}_id,
        cast(customer_records.milestone_{{ '%02d' % slot }}_completed_at as date)
            as milestone_{{ '%02d' % slot }}_completed_on,
        {% endfor %}
        customer_records.as_of_date
    from customer_records
),

final as (
    select
        {% for column in crm_synced_columns() %}
        {{ column }},
        {% endfor %}
        -- every synced field as text (nulls marked), joined with a separator
        {{ dbt.hash(hash_parts | join(" || '|' || ")) }} as row_hash,
        cast(as_of_date as date) as as_of_date
    from synced
)

select * from final
