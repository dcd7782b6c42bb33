{#-
    A sum of doubles depends on its order: these add the values in a given order, so that every build
    gives the same bits. DuckDB and PostgreSQL take an order by inside the aggregate; Spark does not,
    so there the values are collected, sorted and folded.
-#}

{% macro ordered_sum(expr, order_expr) %}
    {{ return(adapter.dispatch('ordered_sum', 'milestone_warehouse')(expr, order_expr)) }}
{% endmacro %}

{% macro default__ordered_sum(expr, order_expr) %}
    sum({{ expr }} order by {{ order_expr }})
{% endmacro %}

{% macro spark__ordered_sum(expr, order_expr) %}
    -- nulls are skipped, and no value at all gives null, as sum does
    aggregate(
        slice(array_sort(collect_list({{ _spark_ordered_item(expr, order_expr) }})), 2, count({{ expr }})),
        try_element_at(array_sort(collect_list({{ _spark_ordered_item(expr, order_expr) }})), 1).v,
        (total, item) -> total + item.v
    )
{% endmacro %}

{% macro _spark_ordered_item(expr, order_expr) %}
    case when {{ expr }} is not null then named_struct('o', {{ order_expr }}, 'v', {{ expr }}) end
{% endmacro %}


{% macro ordered_avg(expr, order_expr) %}
    {{ return(adapter.dispatch('ordered_avg', 'milestone_warehouse')(expr, order_expr)) }}
{% endmacro %}

{% macro default__ordered_avg(expr, order_expr) %}
    avg({{ expr }} order by {{ order_expr }})
{% endmacro %}

{% macro spark__ordered_avg(expr, order_expr) %}
    ({{ spark__ordered_sum(expr, order_expr) }}) / nullif(count({{ expr }}), 0)
{% endmacro %}


{#-
    The value of the group's first row in (order_expr, value_expr) order: an aggregate, so that finding
    each group's first row needs no window over all of its rows.
-#}

{% macro first_in_order(value_expr, order_expr) %}
    {{ return(adapter.dispatch('first_in_order', 'milestone_warehouse')(value_expr, order_expr)) }}
{% endmacro %}

{% macro default__first_in_order(value_expr, order_expr) %}
    (array_agg({{ value_expr }} order by {{ order_expr }}, {{ value_expr }}))[1]
{% endmacro %}

{% macro duckdb__first_in_order(value_expr, order_expr) %}
    min({'o': {{ order_expr }}, 'v': {{ value_expr }}}).v
{% endmacro %}

{% macro spark__first_in_order(value_expr, order_expr) %}
    min(named_struct('o', {{ order_expr }}, 'v', {{ value_expr }})).v
{% endmacro %}
