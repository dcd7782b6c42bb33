-- What a valid event is, in one place (docs/rules.md §5): a landed row that broke no contract rule,
-- typed, with the time it was received (or loaded, when the source did not say), and the load whose
-- build last checked it (what incremental models read since their watermark).
{% macro valid_events(checked_events) %}
    select
        event_id,
        account_id,
        user_id,
        event_name,
        occurred_at,
        coalesce(received_at, loaded_at) as received_at,
        properties,
        load_id,
        raw_row_id,
        processed_load_id
    from {{ checked_events }}
    where violation_reason is null
{% endmacro %}
