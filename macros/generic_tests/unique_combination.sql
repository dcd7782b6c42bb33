{% test unique_combination(model, columns) %}
    {{ return(adapter.dispatch('test_unique_combination', 'milestone_warehouse')(model, columns)) }}
{% endtest %}

{% macro default__test_unique_combination(model, columns) %}
-- each combination of the columns that appears more than once, with how often
select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endmacro %}
