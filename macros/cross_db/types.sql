{% macro type_double() %}
    {#- An 8-byte float everywhere (dbt's type_float is 4 bytes on DuckDB). -#}
    {{ return(adapter.dispatch('type_double', 'milestone_warehouse')()) }}
{% endmacro %}

{% macro default__type_double() %}double precision{% endmacro %}

{% macro duckdb__type_double() %}double{% endmacro %}

{% macro spark__type_double() %}double{% endmacro %}
