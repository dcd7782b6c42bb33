{% macro criteria_pairs_to_recompute() %}
    {#- The (account, criterion) pairs int_account_criteria_progress recomputes, each with the earliest
        occurred_at of its changed events (null for a pair its account's segment no longer has). Used
        both to select what to recompute and, by the replace_recomputed strategy, to delete the pairs'
        old rows, so the two always agree. A pair is recomputed when an event that could count for it
        changed verdict since the model last ran (the contract model's processed_load_id says which rows
        it rechecked: new rows, other copies of their event ids, the rows of accounts that landed
        again), unless the pair is already met before the earliest such event: events are counted in
        time order, so an event later than the met-at cannot move it. Every pair is recomputed when the
        criteria seeds changed, and a stored pair whose criterion the account's segment no longer has
        is deleted. -#}
    {%- set rebuild_all = criteria_changed_since_stored() -%}
    {#- one comparison with one scalar subquery, not "newer or rebuild all", so that the scan skips the
        row groups of older loads (DuckDB pushes it down as a filter; a bare case expression it does not) -#}
    {%- set rechecked_after = "(select case when " ~ rebuild_all ~ " then cast(-1 as " ~ dbt.type_bigint()
        ~ ") else " ~ processed_load_watermark() ~ " end)" -%}
    select
        changed_pairs.account_id,
        changed_pairs.milestone_id,
        changed_pairs.criterion_id,
        changed_pairs.earliest_changed_at
    from (
        select
            changed_matches.account_id,
            changed_matches.milestone_id,
            changed_matches.criterion_id,
            min(changed_matches.occurred_at) as earliest_changed_at
        from (
            {%- for any_event in [false, true] %}
            select
                changed_events.account_id,
                criteria.milestone_id,
                criteria.criterion_id,
                changed_events.occurred_at
            from (
                select
                    checked.account_id,
                    checked.event_name,
                    checked.occurred_at,
                    accounts.segment
                from {{ ref('int_events__contract_checked') }} as checked
                inner join {{ ref('int_accounts__current') }} as accounts
                    on checked.account_id = accounts.account_id
                where checked.processed_load_id > {{ rechecked_after }}
            ) as changed_events
            {#- two equi-joins rather than one on "name matches or criterion is '*'", which would not hash #}
            inner join {{ ref('int_milestone_criteria') }} as criteria
                on
                    changed_events.segment = criteria.segment
                    {% if any_event -%}
                    and criteria.event_name = '*'
                    {%- else -%}
                    and changed_events.event_name = criteria.event_name
                    {%- endif %}
            {% if not loop.last %}union all{% endif %}
            {%- endfor %}
        ) as changed_matches
        group by
            changed_matches.account_id,
            changed_matches.milestone_id,
            changed_matches.criterion_id
    ) as changed_pairs
    {% if is_incremental() -%}
    left join (select * from {{ this }} where is_met) as stored
        on
            changed_pairs.account_id = stored.account_id
            and changed_pairs.milestone_id = stored.milestone_id
            and changed_pairs.criterion_id = stored.criterion_id
    where
        stored.met_at is null
        or changed_pairs.earliest_changed_at is null
        or stored.met_at >= changed_pairs.earliest_changed_at
        or {{ rebuild_all }}
    union
    -- stored pairs the account's segment no longer has (the criteria or the segment changed)
    select
        stored.account_id,
        stored.milestone_id,
        stored.criterion_id,
        cast(null as {{ dbt.type_timestamp() }}) as earliest_changed_at
    from {{ this }} as stored
    left join {{ ref('int_accounts__current') }} as accounts
        on stored.account_id = accounts.account_id
    left join {{ ref('int_milestone_criteria') }} as criteria
        on
            accounts.segment = criteria.segment
            and stored.milestone_id = criteria.milestone_id
            and stored.criterion_id = criteria.criterion_id
    where criteria.criterion_id is null or {{ rebuild_all }}
    {%- endif %}
{% endmacro %}

{% macro criteria_fingerprint() %}
    {#- What int_account_criteria_progress was computed with: the criteria seeds, and a tag for the meaning
        of its rows (change the tag when that changes, and every pair is recomputed once). -#}
    {{ dbt.concat(["'facts:'", fingerprint(ref('int_milestone_criteria'), criteria_fingerprint_columns())]) }}
{% endmacro %}

{% macro criteria_changed_since_stored() %}
    {#- True when the criteria (or the tag of criteria_fingerprint) differ from those
        int_account_criteria_progress was last built with; always true on a full build. -#}
    ({{ criteria_fingerprint() }} != coalesce({{ stored_fingerprint() }}, ''))
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
