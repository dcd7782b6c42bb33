{#-
    The rules of the optional seeds' rows (docs/rules.md §4), each in one place: a macro here is a SQL
    expression over a row of its seed, the problem of the first rule the row (or one of its values)
    breaks, or null. The well-formedness tests (optional_seeds_are_well_formed.sql) name the rows with
    a problem; the in-force macros (optional_seed_defaults.sql) leave those rows (or values) out.
-#}

{% macro health_score_weights_row_problem() %}
    {{ return(adapter.dispatch('health_score_weights_row_problem', 'milestone_warehouse')()) }}
{% endmacro %}

{% macro default__health_score_weights_row_problem() %}
    case
        when component is null
            then 'a row of score ' || coalesce(score, '(empty)') || ' has no component'
        when coalesce(score, '') not in ('health', 'engagement')
            then 'component ' || component || ' of score ' || coalesce(score, '(empty)')
                || ': the scores are health (milestone-weighted) and engagement (engagement only)'
        when coalesce(measure, '') not in ('milestone_completion', 'milestone_velocity', 'active_days', 'event_count')
            then 'component ' || component || ' of score ' || score || ' has measure ' || coalesce(measure, '(empty)')
                || ': the measures are milestone_completion, milestone_velocity, active_days and event_count'
        when weight is null or weight < 0
            then 'component ' || component || ' of score ' || score || ' needs a weight of 0 or more'
        when
            (measure in ('milestone_completion', 'milestone_velocity') and coalesce(scaling, '') != 'none')
            or (
                measure in ('active_days', 'event_count')
                and (coalesce(scaling, '') not in ('linear', 'log') or coalesce(saturation_value, 0) <= 0)
            )
            then 'component ' || component || ' of score ' || score || ': a milestone measure is already 0-1'
                || ' and takes scaling none; an engagement measure takes linear or log with a saturation_value'
                || ' above 0'
        when score = 'engagement' and measure in ('milestone_completion', 'milestone_velocity')
            then 'the engagement score is engagement only, but component ' || component || ' measures milestones'
    end
{% endmacro %}


{% macro health_score_bands_row_problem() %}
    {{ return(adapter.dispatch('health_score_bands_row_problem', 'milestone_warehouse')()) }}
{% endmacro %}

{% macro default__health_score_bands_row_problem() %}
    case
        when band is null
            then 'the band of band_order ' || coalesce({{ dbt.cast('band_order', dbt.type_string()) }}, '(empty)')
                || ' has no name'
        when band_order is null then 'band ' || band || ' has no band_order'
        when min_score is null or min_score < 0 or min_score > 100
            then 'band ' || band || ' needs a min_score between 0 and 100'
    end
{% endmacro %}


{#- A window over the seed's rows: read it in the select list of a query over the whole seed. -#}
{% macro segment_settings_row_problem() %}
    {{ return(adapter.dispatch('segment_settings_row_problem', 'milestone_warehouse')()) }}
{% endmacro %}

{% macro default__segment_settings_row_problem() %}
    case
        when segment is null then 'a segment_settings row has no segment'
        when count(*) over (partition by segment) > 1
            then 'segment ' || segment || ' is listed more than once in segment_settings: its rows are ignored'
    end
{% endmacro %}

{#- Per column of segment_settings, the problem of its value: that value alone is ignored (the default
    is used for it). A dict, column -> expression, in the seed's column order. -#}
{% macro segment_settings_value_problems() %}
    {{ return(adapter.dispatch('segment_settings_value_problems', 'milestone_warehouse')()) }}
{% endmacro %}

{% macro default__segment_settings_value_problems() %}
    {%- set stall_baseline -%}
        case
            when stall_baseline not in ('target_days', 'peer_p75')
                then 'segment ' || coalesce(segment, '(empty)') || ' has stall_baseline ' || stall_baseline
                    || ': the baselines are target_days and peer_p75'
        end
    {%- endset -%}
    {%- set min_peer_completions -%}
        case
            when min_peer_completions is null or min_peer_completions < 0
                then 'segment ' || coalesce(segment, '(empty)') || ' needs a min_peer_completions of 0 or more'
        end
    {%- endset -%}
    {%- set backtest_days_before_renewal -%}
        case
            when backtest_days_before_renewal < 0
                then 'segment ' || coalesce(segment, '(empty)') || ' needs a backtest_days_before_renewal'
                    || ' of 0 or more, or none'
        end
    {%- endset -%}
    {{ return({
        'stall_baseline': stall_baseline,
        'min_peer_completions': min_peer_completions,
        'backtest_days_before_renewal': backtest_days_before_renewal,
    }) }}
{% endmacro %}
