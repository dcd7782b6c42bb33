{% test at_most_one_per(model, group_by, where_condition) %}
    {{ return(adapter.dispatch('test_at_most_one_per', 'milestone_warehouse')(model, group_by, where_condition)) }}
{% endtest %}

{% macro default__test_at_most_one_per(model, group_by, where_condition) %}
-- groups with more than one row meeting the condition (e.g. two active milestones on one account)
select
    {{ group_by }},
    count(*) as matching_rows
from {{ model }}
where {{ where_condition }}
group by {{ group_by }}
having count(*) > 1
{% endmacro %}
