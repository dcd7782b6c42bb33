-- What the CRM holds about each account's milestones (docs/rules.md §6): one row per account keyed by
-- its crm_id, with a row hash over every synced field and updated_at. The fields are computed in
-- int_crm__account_sync_fields; this table is the current version of each crm_id that the snapshot
-- crm_account_milestone_sync_snapshot has delivered (crm_ids whose latest record is a deletion are
-- gone). updated_at is when the snapshot recorded that version (its dbt_valid_from): the time the
-- row's synced fields last changed, a cursor a reverse-ETL tool can sync from. Reading the snapshot
-- rather than the fields is what keeps the CRM side still in an analysis build (an as-of earlier
-- than the last delivery, docs/rules.md §6): the snapshot is not run, so this table does not move.

with

synced_versions as (
    select * from {{ ref('crm_account_milestone_sync_snapshot') }}
),

current_versions as (
    select * from synced_versions
    where dbt_valid_to is null and coalesce(dbt_is_deleted, 'False') <> 'True'
),

final as (
    select
        {% for column in crm_synced_columns() %}
        {{ column }},
        {% endfor %}
        row_hash,
        cast(dbt_valid_from as {{ dbt.type_timestamp() }}) as updated_at
    from current_versions
)

select * from final
