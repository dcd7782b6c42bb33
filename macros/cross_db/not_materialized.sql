{% macro not_materialized() %}
    {#- Written between `as` and the parenthesis of a CTE that several steps read: each step reads it
        with its own filters instead of one stored copy of all of it (DuckDB and PostgreSQL store a CTE
        read more than once; Spark inlines CTEs and has no such keyword). -#}
    {{ return(adapter.dispatch('not_materialized', 'milestone_warehouse')()) }}
{% endmacro %}

{% macro default__not_materialized() %}not materialized{% endmacro %}

{% macro spark__not_materialized() %}{% endmacro %}
