-- One row per landed row, readable or not: the landing check model decides whether it is used.

with

source as (
    select * from {{ source('landing', 'milestone_overrides') }}
),

renamed as (
    select
        -- a row key unique across landed rows (load and row number: macros/landing/landing_lineage.sql)
        {{ landing_raw_row_id() }} as raw_row_id,
        nullif(trim(account_id), '') as account_id,
        nullif(trim(milestone_id), '') as milestone_id,
        nullif(trim(completed_at), '') as completed_at_text,
        {{ parse_utc_timestamp("nullif(trim(completed_at), '')") }} as completed_at,
        nullif(trim(marked_by), '') as marked_by,
        nullif(trim(note), '') as note,
        {{ landing_lineage_columns() }}
    from source
)

select * from renamed
