-- One row per landed row, readable or not: the landing check model decides whether it is used.

with

source as (
    select * from {{ source('landing', 'renewals') }}
),

renamed as (
    select
        -- a row key unique across landed rows (load and row number: macros/landing/landing_lineage.sql)
        {{ landing_raw_row_id() }} as raw_row_id,
        nullif(trim(account_id), '') as account_id,
        nullif(trim(renewal_date), '') as renewal_date_text,
        cast({{ parse_utc_timestamp("nullif(trim(renewal_date), '')") }} as date) as renewal_date,
        lower(nullif(trim(outcome), '')) as outcome,
        nullif(trim(arr_before), '') as arr_before_text,
        nullif(trim(arr_after), '') as arr_after_text,
        {{ try_cast_numeric("nullif(trim(arr_before), '')") }} as arr_before,
        {{ try_cast_numeric("nullif(trim(arr_after), '')") }} as arr_after,
        {{ landing_lineage_columns() }}
    from source
)

select * from renamed
