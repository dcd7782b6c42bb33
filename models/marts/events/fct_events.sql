-- The valid events: every landed row that broke no contract rule, typed, timestamps in UTC.

-- A view: the contract model is incremental, so this half of it costs nothing to refresh.
{{ config(materialized='view') }}

with

checked_events as (
    select * from {{ ref('int_events__contract_checked') }}
),

final as (
    select
        event_id,
        account_id,
        user_id,
        event_name,
        occurred_at,
        coalesce(received_at, loaded_at) as received_at,
        properties,
        load_id,
        raw_row_id
    from checked_events
    where violation_reason is null
)

select * from final
