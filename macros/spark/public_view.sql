{% macro public_view() %}
    {#- The materialization of a public mart that is a view over an incremental table: a view, except on
        Spark, where a view is Spark SQL in the metastore that the readers outside Spark (validations,
        publish, report, export) cannot read, so there it is a table, rewritten by each build
        (docs/rules.md §7). -#}
    {{ return('table' if target.type == 'spark' else 'view') }}
{% endmacro %}
