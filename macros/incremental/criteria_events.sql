{% macro criteria_events_to_read(valid_events) %}
    {#- The valid events int_account_criteria_progress reads on an incremental build: every event of the
        accounts with a pair computed again in full, and only the events (re)checked since the last
        build (processed_load_id above the watermark) of the accounts whose pairs are all extended.
        Reads the model's CTE `account_reads` (account_id, reads_all_events). -#}
    {{ return(adapter.dispatch('criteria_events_to_read')(valid_events)) }}
{% endmacro %}

{% macro _accounts_reading(all_events) %}
    {#- the accounts of account_reads that read all their events (all_events) or only the new ones -#}
    select account_reads.account_id from account_reads
    where {% if not all_events %}not {% endif %}account_reads.reads_all_events
{% endmacro %}

{% macro default__criteria_events_to_read(valid_events) %}
    {#- two branches rather than one filter "in this set or (new and in that set)": each branch's filter
        reaches the scan, so the second reads only the row groups of new loads (DuckDB read every event
        once per reference of the CTE with the OR) -#}
    select * from {{ valid_events }}
    where account_id in ({{ _accounts_reading(true) }})
    union all
    select * from {{ valid_events }}
    where
        processed_load_id > {{ processed_load_watermark() }}
        and account_id in ({{ _accounts_reading(false) }})
{% endmacro %}

{% macro spark__criteria_events_to_read(valid_events) %}
    {#- one filter: Spark inlines every CTE at each reference, and two branches, each with the whole plan
        of the recomputed pairs under it, grew the plan past what the driver could broadcast -#}
    select * from {{ valid_events }}
    where
        account_id in ({{ _accounts_reading(true) }})
        or (
            processed_load_id > {{ processed_load_watermark() }}
            and account_id in ({{ _accounts_reading(false) }})
        )
{% endmacro %}
