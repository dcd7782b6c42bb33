-- The CRM change feed (docs/rules.md §6): one row per change the snapshot
-- crm_account_milestone_sync_snapshot recorded, in the warehouse, for a reverse-ETL tool or
-- `milestones export` to read after a cursor. A change is a new version of a crm_id's synced fields
-- (operation upsert) or the crm_id leaving the sync (operation delete: the row then carries the
-- fields and as_of_date of the version it ends, as the snapshot keeps them).
-- changed_at is when the snapshot recorded the change (its dbt_valid_from); as_of_date is the as-of
-- date of the build that recorded an upsert. Every change of a crm_id has its own changed_at, so
-- (crm_id, changed_at) and change_id are unique: change_id, the snapshot's dbt_scd_id (a hash of the
-- crm_id and that time, stored with the version), is the table's primary key. A table rebuilt from
-- the snapshot in every build, so the contract's key and not-null constraints are enforced.

with

synced_versions as (
    select * from {{ ref('crm_account_milestone_sync_snapshot') }}
),

final as (
    select
        cast(dbt_scd_id as {{ dbt.type_string() }}) as change_id,
        cast(
            case when coalesce(dbt_is_deleted, 'False') = 'True' then 'delete' else 'upsert' end
            as {{ dbt.type_string() }}
        ) as operation,
        cast(dbt_valid_from as {{ dbt.type_timestamp() }}) as changed_at,
        as_of_date,
        {% for column in crm_synced_columns() %}
        {{ column }},
        {% endfor %}
        row_hash,
        -- the sync table's cursor column, so the same field mapping serves the full sync and the feed
        cast(dbt_valid_from as {{ dbt.type_timestamp() }}) as updated_at
    from synced_versions
)

select * from final
