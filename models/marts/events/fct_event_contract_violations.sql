-- The quarantine: every landed event row that broke a contract rule, kept whole with the first
-- rule it broke, the load it came in and what exactly was wrong.

-- A view: the contract model is incremental, so this half of it costs nothing to refresh.
{{ config(materialized=public_view()) }}

with

checked_events as (
    select * from {{ ref('int_events__contract_checked') }}
),

final as (
    select
        raw_row_id,
        violation_reason as reason,
        violation_detail as reason_detail,
        violation_property,
        violation_value,
        event_id,
        account_id,
        user_id,
        event_name,
        occurred_at_text as occurred_at,
        received_at_text as received_at,
        properties_text as properties,
        raw_record,
        load_id,
        file_name,
        file_checksum,
        file_row_number,
        loaded_at
    from checked_events
    where violation_reason is not null
)

select * from final
