-- One row per landed row, readable or not: the landing check model decides whether it is used.

with

source as (
    select * from {{ source('landing', 'accounts') }}
),

renamed as (
    select
        -- a row key unique across landed rows (load and row number), as in stg_landing__events
        cast(_load_id as bigint) * 10000000000 + cast(_row_number as bigint) as raw_row_id,
        nullif(trim(account_id), '') as account_id,
        nullif(trim(account_name), '') as account_name,
        lower(nullif(trim(segment), '')) as segment,
        nullif(trim(signup_at), '') as signup_at_text,
        {{ parse_utc_timestamp("nullif(trim(signup_at), '')") }} as signed_up_at,
        nullif(trim(arr), '') as arr_text,
        {{ try_cast_numeric("nullif(trim(arr), '')") }} as arr,
        nullif(trim(crm_id), '') as crm_id,
        nullif(trim(owner), '') as owner,
        cast(_load_id as bigint) as load_id,
        _file_name as file_name,
        _file_checksum as file_checksum,
        cast(_loaded_at as timestamp) as loaded_at,
        cast(_row_number as bigint) as file_row_number,
        _raw_record as raw_record,
        _load_error as load_error
    from source
)

select * from renamed
