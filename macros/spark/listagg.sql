{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {#- dbt-spark's own version drops the order; Spark SQL has the standard ordered listagg, so the
        order is kept as on the other warehouses (docs/rules.md §7). -#}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error("listagg with limit_num is not implemented for Spark") }}
    {%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }})
    {%- if order_by_clause %} within group ({{ order_by_clause }}){%- endif %}
{%- endmacro %}
