{% macro accounts_touched_since_last_build(contract_relation, criteria_relation) %}
    {#- Accounts whose checked events changed since this model last ran: the changed-keys pattern.
        Every account when the criteria seeds changed. Used by int_account_criteria_met both to delete
        the accounts' old rows (pre-hook) and to select what to recompute, so the two always agree. -#}
    select distinct account_id
    from {{ contract_relation }}
    where
        account_id is not null
        and (
            processed_load_id > {{ processed_load_watermark() }}
            or {{ fingerprint(criteria_relation, criteria_fingerprint_columns()) }}
            != coalesce({{ stored_fingerprint() }}, '')
        )
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
