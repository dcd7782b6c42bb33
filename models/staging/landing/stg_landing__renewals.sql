with

source as (
    select * from {{ source('landing', 'renewals') }}
),

renamed as (
    select
        nullif(trim(account_id), '') as account_id,
        cast({{ parse_utc_timestamp("nullif(trim(renewal_date), '')") }} as date) as renewal_date,
        lower(nullif(trim(outcome), '')) as outcome,
        {{ try_cast_numeric("nullif(trim(arr_before), '')") }} as arr_before,
        {{ try_cast_numeric("nullif(trim(arr_after), '')") }} as arr_after,
        cast(_load_id as bigint) as load_id,
        _file_name as file_name,
        cast(_row_number as bigint) as file_row_number,
        _load_error as load_error
    from source
)

select * from renamed
