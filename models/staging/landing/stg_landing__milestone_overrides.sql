with

source as (
    select * from {{ source('landing', 'milestone_overrides') }}
),

renamed as (
    select
        nullif(trim(account_id), '') as account_id,
        nullif(trim(milestone_id), '') as milestone_id,
        {{ parse_utc_timestamp("nullif(trim(completed_at), '')") }} as completed_at,
        nullif(trim(marked_by), '') as marked_by,
        nullif(trim(note), '') as note,
        cast(_load_id as bigint) as load_id,
        _file_name as file_name,
        cast(_row_number as bigint) as file_row_number,
        _load_error as load_error
    from source
)

select * from renamed
