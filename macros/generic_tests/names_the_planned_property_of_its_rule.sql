{#-
    On the quarantine: a row quarantined for a property rule (is_property_rule in seed
    event_contract_rules, docs/rules.md §5) names a property the tracking plan gives its event; a row
    quarantined for any other rule names none.
-#}

{% test names_the_planned_property_of_its_rule(model, column_name, contract_rules, tracking_plan_properties) %}
    {{ return(adapter.dispatch('test_names_the_planned_property_of_its_rule', 'milestone_warehouse')(
        model, column_name, contract_rules, tracking_plan_properties
    )) }}
{% endtest %}

{% macro default__test_names_the_planned_property_of_its_rule(
    model, column_name, contract_rules, tracking_plan_properties
) %}
with

quarantined as (
    select * from {{ model }}
),

rules as (
    select * from {{ contract_rules }}
),

planned_properties as (
    select * from {{ tracking_plan_properties }}
),

final as (
    select
        quarantined.reason,
        quarantined.event_name,
        quarantined.{{ column_name }} as violation_property
    from quarantined
    inner join rules
        on quarantined.reason = rules.reason
    left join planned_properties
        on
            quarantined.event_name = planned_properties.event_name
            and quarantined.{{ column_name }} = planned_properties.property
    where
        (rules.is_property_rule and planned_properties.property is null)
        or (not rules.is_property_rule and quarantined.{{ column_name }} is not null)
)

select * from final
{% endmacro %}
