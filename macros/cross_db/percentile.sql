{% macro percentile_cont(expr, fraction) %}
    {{ return(adapter.dispatch('percentile_cont', 'milestone_warehouse')(expr, fraction)) }}
{% endmacro %}

{% macro default__percentile_cont(expr, fraction) %}
    -- the SQL standard's ordered-set aggregate: DuckDB and PostgreSQL both speak it
    percentile_cont({{ fraction }}) within group (order by {{ expr }})
{% endmacro %}
