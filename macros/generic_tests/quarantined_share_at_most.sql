{% test quarantined_share_at_most(model, max_share, min_rows=1) %}
    {{ return(adapter.dispatch('test_quarantined_share_at_most', 'milestone_warehouse')(model, max_share, min_rows)) }}
{% endtest %}

{% macro default__test_quarantined_share_at_most(model, max_share, min_rows=1) %}
-- one row (the share) when the quarantined share of all landed rows is above the bound (checked once
-- at least min_rows rows landed: a share of a handful of rows says little)
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
where landed_rows >= {{ [min_rows | int, 1] | max }} and cast(quarantined_rows as {{ type_double() }}) / landed_rows > {{ max_share }}
{% endmacro %}
