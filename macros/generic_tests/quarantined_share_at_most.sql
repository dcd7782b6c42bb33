{% test quarantined_share_at_most(model, max_share) %}
    {{ return(adapter.dispatch('test_quarantined_share_at_most', 'milestone_warehouse')(model, max_share)) }}
{% endtest %}

{% macro default__test_quarantined_share_at_most(model, max_share) %}
-- one row (the share) when the quarantined share of all landed rows is above the bound
with

shares as (
    select
        count(*) as landed_rows,
        -- rows breaking a rule carry its name; valid rows carry null
        count(violation_reason) as quarantined_rows
    from {{ model }}
)

select
    landed_rows,
    quarantined_rows,
    cast(quarantined_rows as {{ type_double() }}) / landed_rows as quarantined_share
from shares
where landed_rows > 0 and cast(quarantined_rows as {{ type_double() }}) / landed_rows > {{ max_share }}
{% endmacro %}
