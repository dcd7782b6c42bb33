{% macro event_days_to_recount() %}
    {#- The (account, UTC day, event name) groups int_events__daily_counts recounts: those of every row
        the contract model (re)checked since this model last ran (its processed_load_id), valid or not,
        since a row that changed verdict changes its group's count. Used both to select what to recount
        and, by the replace_recomputed strategy, to delete the groups' old rows, so the two agree. -#}
    select distinct
        checked.account_id,
        cast(checked.occurred_at as date) as activity_date,
        checked.event_name
    from {{ ref('int_events__contract_checked') }} as checked
    where checked.processed_load_id > {{ processed_load_watermark() }}
{% endmacro %}
