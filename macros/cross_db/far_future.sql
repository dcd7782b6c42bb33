{% macro far_future() %}
    {#- Stands for "never" where a min or max must not skip the value, as null would be skipped. -#}
    cast('9999-12-31 00:00:00' as {{ dbt.type_timestamp() }})
{% endmacro %}
