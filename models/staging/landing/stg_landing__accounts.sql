-- One row per landed row, readable or not: the landing check model decides whether it is used.

with

source as (
    select * from {{ source('landing', 'accounts') }}
),

renamed as (
    select
        -- a row key unique across landed rows (load and row number: macros/landing/landing_lineage.sql)
        {{ landing_raw_row_id() }} as raw_row_id,
        nullif(trim(account_id), '') as account_id,
        nullif(trim(account_name), '') as account_name,
        lower(nullif(trim(segment), '')) as segment,
        nullif(trim(signup_at), '') as signup_at_text,
        {{ parse_utc_timestamp("nullif(trim(signup_at), '')") }} as signed_up_at,
        nullif(trim(arr), '') as arr_text,
        {{ try_cast_numeric("nullif(trim(arr), '')") }} as arr,
        nullif(trim(crm_id), '') as crm_id,
        nullif(trim(owner), '') as owner,
        {{ landing_lineage_columns() }}
    from source
)

select * from renamed
