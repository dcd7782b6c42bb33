{% test value_at_most(model, column_name, max_value) %}
    {{ return(adapter.dispatch('test_value_at_most', 'milestone_warehouse')(model, column_name, max_value)) }}
{% endtest %}

{% macro default__test_value_at_most(model, column_name, max_value) %}
-- rows whose value is above the bound (nulls are not checked: pair with not_null where needed)
select *
from {{ model }}
where {{ column_name }} > {{ max_value }}
{% endmacro %}
