{% macro accounts_touched_since_last_build() %}
    {#- The accounts int_account_criteria_met recomputes: those whose checked events changed since it
        last ran (the changed-keys pattern), every account when the criteria seeds changed. Used both to
        select what to recompute and, by the replace_touched_accounts strategy, to delete the accounts'
        old rows, so the two always agree. -#}
    select distinct account_id
    from {{ ref('int_events__contract_checked') }}
    where
        account_id is not null
        and (
            processed_load_id > {{ processed_load_watermark() }}
            or {{ criteria_fingerprint() }} != coalesce({{ stored_fingerprint() }}, '')
        )
{% endmacro %}

{% macro criteria_fingerprint() %}
    {#- What int_account_criteria_met was computed with: the criteria seeds, and a tag for the meaning
        of its rows (change the tag when that changes, and every account is recomputed once). -#}
    {{ dbt.concat(["'facts:'", fingerprint(ref('int_milestone_criteria'), criteria_fingerprint_columns())]) }}
{% endmacro %}

{% macro criteria_fingerprint_columns() %}
    {{ return([
        'segment', 'milestone_id', 'criterion_id', 'event_name', 'filter_property', 'padded_filter_values',
        'measure', 'distinct_property', 'group_by_property', 'threshold',
    ]) }}
{% endmacro %}

{% macro tracking_plan_fingerprint() %}
    {#- One hash of both tracking-plan seeds: the contract check rebuilds when either changes. -#}
    {{ dbt.concat([
        fingerprint(ref('tracking_plan_events'), ['event_name', 'status']),
        "'/'",
        fingerprint(ref('tracking_plan_properties'), ['event_name', 'property', 'type', 'required', 'allowed_values']),
    ]) }}
{% endmacro %}
