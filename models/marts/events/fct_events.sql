-- The valid events: every landed row that broke no contract rule, typed, timestamps in UTC (the
-- same rows as int_events__valid). Read from the contract model itself, not through the contract
-- gate: past the error rate the valid events are still published beside the quarantine.

-- A view: the contract model is incremental, so this costs nothing to refresh.
{{ config(materialized=public_view()) }}

with

checked_events as (
    select * from {{ ref('int_events__contract_checked') }}
),

valid_events as (
    {{ valid_events('checked_events') }}
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
