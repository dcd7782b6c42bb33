{#-
    The rules of the four seeds a user edits (docs/rules.md §4), in one place: each test returns one
    row per bad seed entry, with a `problem` column that names the entry and says what is wrong.
    `milestones build` prints those rows when a test fails; `milestones generate` runs the same tests
    on the seeds before generating (src/milestones/build/seed_check.py).
-#}

{% test milestones_are_well_formed(model, criteria) %}
    {{ return(adapter.dispatch('test_milestones_are_well_formed', 'milestone_warehouse')(model, criteria)) }}
{% endtest %}

{% macro default__test_milestones_are_well_formed(model, criteria) %}
with

milestones as (
    select * from {{ model }}
),

criteria as (
    select * from {{ criteria }}
),

dependencies as (
    select * from {{ ref('int_milestone_dependencies') }}
),

-- ids named in depends_on that matched a milestone of the segment, by length: a name that matched
-- nothing leaves depends_on longer than the matched names and their separators
matched_dependency_lengths as (
    select
        segment,
        milestone_id,
        sum({{ dbt.length('depends_on_milestone_id') }}) + count(*) - 1 as matched_length,
        max(depends_on_sequence) as highest_dependency_sequence
    from dependencies
    group by 1, 2
),

problems as (
    -- a milestone id appears once per segment
    select
        segment,
        milestone_id,
        'milestone ' || milestone_id || ' of segment ' || segment || ' is defined more than once' as problem
    from milestones
    group by segment, milestone_id
    having count(*) > 1

    union all

    -- sequences run 1..n within a segment
    select
        segment,
        min(milestone_id),
        'segment ' || segment || ' has sequence ' || {{ dbt.cast('sequence', dbt.type_string()) }}
        || ' more than once' as problem
    from milestones
    group by segment, sequence
    having count(*) > 1

    union all

    select
        segment,
        max(milestone_id),
        'segment ' || segment || ' has sequences that do not run 1..' || {{ dbt.cast('count(*)', dbt.type_string()) }}
        as problem
    from milestones
    group by segment
    having min(sequence) != 1 or max(sequence) != count(*)

    union all

    -- every milestone has at least one criterion
    select
        milestones.segment,
        milestones.milestone_id,
        'milestone ' || milestones.milestone_id || ' of segment ' || milestones.segment || ' has no criteria'
        as problem
    from milestones
    left join criteria
        on milestones.segment = criteria.segment and milestones.milestone_id = criteria.milestone_id
    where criteria.milestone_id is null

    union all

    -- depends_on names milestones of the same segment, each of lower sequence
    select
        milestones.segment,
        milestones.milestone_id,
        'milestone ' || milestones.milestone_id || ' of segment ' || milestones.segment
        || ' depends on ' || milestones.depends_on
        || ', which names a milestone that is not of this segment or not of a lower sequence' as problem
    from milestones
    left join matched_dependency_lengths
        on
            milestones.segment = matched_dependency_lengths.segment
            and milestones.milestone_id = matched_dependency_lengths.milestone_id
    where
        milestones.depends_on is not null
        and (
            matched_dependency_lengths.milestone_id is null
            or matched_dependency_lengths.matched_length != {{ dbt.length("replace(milestones.depends_on, ' ', '')") }}
            or matched_dependency_lengths.highest_dependency_sequence >= milestones.sequence
        )

    union all

    -- the customer record has a fixed number of milestone slots
    select
        segment,
        max(milestone_id),
        'segment ' || segment || ' has ' || {{ dbt.cast('count(*)', dbt.type_string()) }}
        || ' milestones, more than the customer record''s '
        || '{{ var("customer_record_milestone_slots") }} slots (var customer_record_milestone_slots)' as problem
    from milestones
    group by segment
    having count(*) > {{ var('customer_record_milestone_slots') }}

    union all

    select
        segment,
        milestone_id,
        'milestone ' || milestone_id || ' of segment ' || segment || ' has no target_days or weight' as problem
    from milestones
    where target_days is null or target_days < 0 or weight is null or weight < 0
)

select * from problems
{% endmacro %}


{% test criteria_are_well_formed(model, milestones, tracking_plan_events, tracking_plan_properties) %}
    {{ return(adapter.dispatch('test_criteria_are_well_formed', 'milestone_warehouse')(
        model, milestones, tracking_plan_events, tracking_plan_properties
    )) }}
{% endtest %}

{% macro default__test_criteria_are_well_formed(model, milestones, tracking_plan_events, tracking_plan_properties) %}
with

criteria as (
    select * from {{ model }}
),

milestones as (
    select * from {{ milestones }}
),

planned_events as (
    select * from {{ tracking_plan_events }}
),

planned_properties as (
    select * from {{ tracking_plan_properties }}
),

-- every property a criterion reads, one row each (user_id is the event's own column)
named_properties as (
    select segment, milestone_id, criterion_id, event_name, filter_property as property from criteria
    where filter_property is not null
    union all
    select segment, milestone_id, criterion_id, event_name, group_by_property from criteria
    where group_by_property is not null
    union all
    select segment, milestone_id, criterion_id, event_name, distinct_property from criteria
    where distinct_property is not null and distinct_property != 'user_id'
),

problems as (
    select
        segment,
        milestone_id,
        criterion_id,
        'criterion ' || criterion_id || ' of milestone ' || milestone_id || ' (' || segment || ')'
        || ' is defined more than once' as problem
    from criteria
    group by segment, milestone_id, criterion_id
    having count(*) > 1

    union all

    select
        criteria.segment,
        criteria.milestone_id,
        criteria.criterion_id,
        'criterion ' || criteria.criterion_id || ' of milestone ' || criteria.milestone_id
        || ' (' || criteria.segment || ') names event ' || coalesce(criteria.event_name, '(empty)')
        || ', which is not in the tracking plan' as problem
    from criteria
    left join planned_events
        on criteria.event_name = planned_events.event_name
    where planned_events.event_name is null and coalesce(criteria.event_name, '') != '*'

    union all

    select
        criteria.segment,
        criteria.milestone_id,
        criteria.criterion_id,
        'criterion ' || criteria.criterion_id || ' belongs to milestone ' || criteria.milestone_id
        || ', which segment ' || criteria.segment || ' does not define' as problem
    from criteria
    left join milestones
        on criteria.segment = milestones.segment and criteria.milestone_id = milestones.milestone_id
    where milestones.milestone_id is null

    union all

    select
        segment,
        milestone_id,
        criterion_id,
        'criterion ' || criterion_id || ' of milestone ' || milestone_id || ' (' || segment || ') has measure '
        || coalesce(measure, '(empty)') || ': the measures are count, and distinct with a distinct_property'
        as problem
    from criteria
    where
        coalesce(measure, '') not in ('count', 'distinct')
        or (measure = 'distinct' and distinct_property is null)
        or (measure = 'count' and distinct_property is not null)

    union all

    select
        segment,
        milestone_id,
        criterion_id,
        'criterion ' || criterion_id || ' of milestone ' || milestone_id || ' (' || segment || ')'
        || ' needs a threshold of 1 or more' as problem
    from criteria
    where threshold is null or threshold < 1

    union all

    select
        segment,
        milestone_id,
        criterion_id,
        'criterion ' || criterion_id || ' of milestone ' || milestone_id || ' (' || segment || ')'
        || ' has filter_property and filter_values only one of them' as problem
    from criteria
    where (filter_property is null) != (filter_values is null)

    union all

    select
        named_properties.segment,
        named_properties.milestone_id,
        named_properties.criterion_id,
        'criterion ' || named_properties.criterion_id || ' of milestone ' || named_properties.milestone_id
        || ' (' || named_properties.segment || ') reads property ' || named_properties.property
        || ', which the tracking plan does not give event ' || named_properties.event_name as problem
    from named_properties
    left join planned_properties
        on
            named_properties.event_name = planned_properties.event_name
            and named_properties.property = planned_properties.property
    where planned_properties.property is null and named_properties.event_name != '*'
)

select * from problems
{% endmacro %}


{% test tracking_plan_is_well_formed(model, tracking_plan_properties) %}
    {{ return(adapter.dispatch('test_tracking_plan_is_well_formed', 'milestone_warehouse')(
        model, tracking_plan_properties
    )) }}
{% endtest %}

{% macro default__test_tracking_plan_is_well_formed(model, tracking_plan_properties) %}
with

planned_events as (
    select * from {{ model }}
),

planned_properties as (
    select * from {{ tracking_plan_properties }}
),

problems as (
    select
        event_name,
        'event ' || event_name || ' is in the tracking plan more than once' as problem
    from planned_events
    group by event_name
    having count(*) > 1

    union all

    select
        event_name,
        'event ' || event_name || ' has status ' || coalesce(status, '(empty)')
        || ': the statuses are active and deprecated' as problem
    from planned_events
    where coalesce(status, '') not in ('active', 'deprecated')

    union all

    select
        event_name,
        'property ' || property || ' of event ' || event_name || ' is planned more than once' as problem
    from planned_properties
    group by event_name, property
    having count(*) > 1

    union all

    select
        planned_properties.event_name,
        'property ' || planned_properties.property || ' belongs to event ' || planned_properties.event_name
        || ', which tracking_plan_events does not list' as problem
    from planned_properties
    left join planned_events
        on planned_properties.event_name = planned_events.event_name
    where planned_events.event_name is null

    union all

    select
        event_name,
        'property ' || property || ' of event ' || event_name || ' has type ' || coalesce(type, '(empty)')
        || ': the types are string, integer, number, boolean and timestamp' as problem
    from planned_properties
    where coalesce(type, '') not in ('string', 'integer', 'number', 'boolean', 'timestamp')

    union all

    select
        event_name,
        'property ' || property || ' of event ' || event_name || ' has no required flag (true or false)'
        as problem
    from planned_properties
    where required is null
)

select * from problems
{% endmacro %}
