{#-
    The contract gate's test (docs/rules.md §5): one row, with a `problem` that gives the quarantined
    share and the top reasons, when the gate's quarantined share (int_events__contract_gate) is past
    max_share; checked once at least min_rows rows landed (a share of a handful of rows says little).
-#}

{% test contract_gate_at_most(model, max_share, min_rows=1) %}
    {{ return(adapter.dispatch('test_contract_gate_at_most', 'milestone_warehouse')(model, max_share, min_rows)) }}
{% endtest %}

{% macro default__test_contract_gate_at_most(model, max_share, min_rows=1) %}
with

gate as (
    select * from {{ model }}
),

percentages as (
    select
        landed_rows,
        quarantined_rows,
        quarantined_share,
        top_reasons,
        -- whole percents, rounded half up, written the same on every warehouse
        {{ dbt.cast("floor(quarantined_share * 100 + 0.5)", dbt.type_int()) }} as quarantined_percent,
        {{ dbt.cast("floor(" ~ max_share ~ " * 100 + 0.5)", dbt.type_int()) }} as max_percent
    from gate
    where landed_rows >= {{ [min_rows | int, 1] | max }} and quarantined_share > {{ max_share }}
),

problems as (
    select
        landed_rows,
        quarantined_rows,
        quarantined_share,
        {{ dbt.cast("quarantined_rows", dbt.type_string()) }} || ' of '
        || {{ dbt.cast("landed_rows", dbt.type_string()) }} || ' landed event rows quarantined ('
        || {{ dbt.cast("quarantined_percent", dbt.type_string()) }} || '%, more than '
        || {{ dbt.cast("max_percent", dbt.type_string()) }} || '%); top reasons: '
        || coalesce(top_reasons, '(none)') as problem
    from percentages
)

select * from problems
{% endmacro %}
