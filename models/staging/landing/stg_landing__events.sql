-- One row per landed event row, readable or not: the contract model decides where each one goes.

with

source as (
    select * from {{ source('landing', 'events') }}
),

renamed as (
    select
        -- a row key that survives re-sent event ids: load and row number are unique per landed row
        {{ landing_raw_row_id() }} as raw_row_id,
        nullif(trim(event_id), '') as event_id,
        nullif(trim(account_id), '') as account_id,
        nullif(trim(user_id), '') as user_id,
        nullif(trim(event_name), '') as event_name,
        nullif(trim(occurred_at), '') as occurred_at_text,
        {{ parse_utc_timestamp("nullif(trim(occurred_at), '')") }} as occurred_at,
        nullif(trim(received_at), '') as received_at_text,
        {{ parse_utc_timestamp("nullif(trim(received_at), '')") }} as received_at,
        -- empty properties count as an empty object (docs/rules.md §5)
        coalesce(nullif(trim(properties), ''), '{}') as properties_text,
        {{ parse_json("coalesce(nullif(trim(properties), ''), '{}')") }} as properties,
        {{ landing_lineage_columns() }}
    from source
)

select * from renamed
