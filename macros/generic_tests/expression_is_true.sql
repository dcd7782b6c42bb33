{% test expression_is_true(model, expression) %}
    {{ return(adapter.dispatch('test_expression_is_true', 'milestone_warehouse')(model, expression)) }}
{% endtest %}

{% macro default__test_expression_is_true(model, expression) %}
-- rows for which the expression does not hold
select *
from {{ model }}
where not ({{ expression }})
{% endmacro %}
