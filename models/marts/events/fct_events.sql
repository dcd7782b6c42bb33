-- The valid events: every landed row that broke no contract rule, typed, timestamps in UTC
-- (built in int_events__valid).

-- A view over a view: the contract model is incremental, so this costs nothing to refresh.
{{ config(materialized='view') }}

with

valid_events as (
    select * from {{ ref('int_events__valid') }}
),

final as (
    select
        event_id,
        account_id,
        user_id,
        event_name,
        occurred_at,
        received_at,
        properties,
        load_id,
        raw_row_id
    from valid_events
)

select * from final
