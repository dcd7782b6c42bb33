with

source as (
    select * from {{ source('landing', 'experiment_assignments') }}
),

renamed as (
    select
        nullif(trim(account_id), '') as account_id,
        nullif(trim(experiment_id), '') as experiment_id,
        nullif(trim(variant), '') as variant,
        {{ parse_utc_timestamp("nullif(trim(assigned_at), '')") }} as assigned_at,
        cast(_load_id as bigint) as load_id,
        _file_name as file_name,
        cast(_row_number as bigint) as file_row_number,
        _load_error as load_error
    from source
)

select * from renamed
