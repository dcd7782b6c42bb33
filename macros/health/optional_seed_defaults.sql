{#-
    The optional seeds' defaults (docs/rules.md §4): the four seeds a user edits are all a project
    needs. Each macro returns a select over its seed, for a model's import CTE: the seed's rows that
    keep its rules (optional_seed_rules.sql: a row, or a value, with a problem there is ignored, and the
    seed's well-formedness test names it), or, when the seed has no rows at all, the documented default
    rows.
-#}

{% macro health_score_weights_in_force() %}
    {{ return(adapter.dispatch('health_score_weights_in_force', 'milestone_warehouse')()) }}
{% endmacro %}

{% macro default__health_score_weights_in_force() %}
    {#- Default, for a seed without rows: the health score is milestone completion 60, milestone velocity
        20 and active days 20 (so completion weighs more than any other signal, and milestones more
        than engagement); the engagement-only score is active days alone. Active days earn full marks
        at half the engagement window. -#}
    {%- set saturation = (var('health_engagement_window_days') | float) / 2 -%}
    {%- set defaults = [
        ('health', 'milestone_completion', 'milestone_completion', none, 60, 'none', none),
        ('health', 'milestone_velocity', 'milestone_velocity', none, 20, 'none', none),
        ('health', 'active_days', 'active_days', '*', 20, 'linear', saturation),
        ('engagement', 'active_days', 'active_days', '*', 100, 'linear', saturation),
    ] -%}
    select
        score,
        segment,
        component,
        measure,
        event_name,
        weight,
        scaling,
        saturation_value,
        description
    from {{ ref('health_score_weights') }}
    where {{ health_score_weights_row_problem() }} is null
    {% for score, component, measure, event_name, weight, scaling, saturation_value in defaults %}
    union all
    select
        {{ dbt.cast(dbt.string_literal(score), dbt.type_string()) }} as score,
        {{ dbt.cast('null', dbt.type_string()) }} as segment,
        {{ dbt.cast(dbt.string_literal(component), dbt.type_string()) }} as component,
        {{ dbt.cast(dbt.string_literal(measure), dbt.type_string()) }} as measure,
        {{ dbt.cast(dbt.string_literal(event_name) if event_name else 'null', dbt.type_string()) }} as event_name,
        {{ dbt.cast(weight, type_double()) }} as weight,
        {{ dbt.cast(dbt.string_literal(scaling), dbt.type_string()) }} as scaling,
        {{ dbt.cast(saturation_value if saturation_value else 'null', type_double()) }} as saturation_value,
        {{ dbt.cast(dbt.string_literal('default weight (docs/rules.md §4)'), dbt.type_string()) }} as description
    where not exists (select 1 from {{ ref('health_score_weights') }})
    {% endfor %}
{% endmacro %}


{% macro health_score_bands_in_force() %}
    {{ return(adapter.dispatch('health_score_bands_in_force', 'milestone_warehouse')()) }}
{% endmacro %}

{% macro default__health_score_bands_in_force() %}
    {#- Default, for a seed without rows: three bands, low from 0, medium from 40, high from 70. -#}
    {%- set defaults = [
        ('low', 1, 0, 'Below 40: few milestones reached, or reached late.'),
        ('medium', 2, 40, '40 to 70: progressing, with gaps.'),
        ('high', 3, 70, '70 and above: milestones reached on time and the team is active.'),
    ] -%}
    select
        band,
        band_order,
        min_score,
        description
    from {{ ref('health_score_bands') }}
    where {{ health_score_bands_row_problem() }} is null
    {% for band, band_order, min_score, description in defaults %}
    union all
    select
        {{ dbt.cast(dbt.string_literal(band), dbt.type_string()) }} as band,
        {{ dbt.cast(band_order, dbt.type_int()) }} as band_order,
        {{ dbt.cast(min_score, type_double()) }} as min_score,
        {{ dbt.cast(dbt.string_literal(description), dbt.type_string()) }} as description
    where not exists (select 1 from {{ ref('health_score_bands') }})
    {% endfor %}
{% endmacro %}


{% macro segment_settings_in_force() %}
    {{ return(adapter.dispatch('segment_settings_in_force', 'milestone_warehouse')()) }}
{% endmacro %}

{% macro default__segment_settings_in_force() %}
    {#- A segment without a row gets the defaults: stalls against target_days, and the backtest at var
        backtest_days_before_renewal (the models coalesce to them). A value that breaks the seed's
        rules is ignored the same way, and a segment listed twice is ignored whole. -#}
    select
        segment,
        {% for column, problem in segment_settings_value_problems().items() %}
        case when {{ problem }} is null then {{ column }} end as {{ column }}{{ ',' if not loop.last }}
        {% endfor %}
    from (
        select
            *,
            {{ segment_settings_row_problem() }} as row_problem
        from {{ ref('segment_settings') }}
    ) as settings
    where row_problem is null
{% endmacro %}
