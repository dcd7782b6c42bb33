-- One row per landed row, readable or not: the landing check model decides whether it is used.

with

source as (
    select * from {{ source('landing', 'experiment_assignments') }}
),

renamed as (
    select
        -- a row key unique across landed rows (load and row number: macros/landing/landing_lineage.sql)
        {{ landing_raw_row_id() }} as raw_row_id,
        nullif(trim(account_id), '') as account_id,
        nullif(trim(experiment_id), '') as experiment_id,
        nullif(trim(variant), '') as variant,
        nullif(trim(assigned_at), '') as assigned_at_text,
        {{ parse_utc_timestamp("nullif(trim(assigned_at), '')") }} as assigned_at,
        {{ landing_lineage_columns() }}
    from source
)

select * from renamed
