with

source as (
    select * from {{ source('landing', 'accounts') }}
),

renamed as (
    select
        nullif(trim(account_id), '') as account_id,
        nullif(trim(account_name), '') as account_name,
        lower(nullif(trim(segment), '')) as segment,
        {{ parse_utc_timestamp("nullif(trim(signup_at), '')") }} as signed_up_at,
        {{ try_cast_numeric("nullif(trim(arr), '')") }} as arr,
        nullif(trim(crm_id), '') as crm_id,
        nullif(trim(owner), '') as owner,
        cast(_load_id as bigint) as load_id,
        _file_name as file_name,
        cast(_row_number as bigint) as file_row_number,
        _load_error as load_error
    from source
)

select * from renamed
