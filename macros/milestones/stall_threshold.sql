{% macro stall_threshold_source(stall_baseline, min_peer_completions, accounts_timed, p75_days_from_previous) %}
    {#- Which baseline flags a stall (docs/rules.md §6, segment_settings in §4): the peers' p75 once
        min_peer_completions peers have a days_from_previous and the segment asks for it, else the
        seeded target_days. The rule as int_segment_milestone_baselines applies it on the as-of date;
        int_accounts__status_history applies it on each day of the record. -#}
    case
        when
            {{ stall_baseline }} = 'peer_p75'
            and coalesce({{ accounts_timed }}, 0) >= {{ min_peer_completions }}
            and {{ p75_days_from_previous }} is not null
            then 'peer_p75'
        else 'target_days'
    end
{% endmacro %}

{% macro stall_threshold_days(stall_baseline, min_peer_completions, accounts_timed, p75_days_from_previous, target_days) %}
    {#- The threshold itself: the peers' p75 rounded up to whole days, or target_days. -#}
    case
        when
            {{ stall_threshold_source(stall_baseline, min_peer_completions, accounts_timed, p75_days_from_previous) }}
            = 'peer_p75'
            then cast(ceil({{ p75_days_from_previous }}) as integer)
        else {{ target_days }}
    end
{% endmacro %}
