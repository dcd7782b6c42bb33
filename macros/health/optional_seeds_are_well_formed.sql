{#-
    The rules of the optional seeds (docs/rules.md §4): each test returns one row per problem, with a
    `problem` that names the seed row. The models ignore a row these tests flag, so the tests only warn
    (a failing test would make dbt skip the milestone tables): a row that names a segment or milestone
    the four seeds do not define stays a warning; the well-formedness tests carry the tag
    optional_seed_rule, and `milestones build` exits 1 naming the row when one of them warned. The
    rules of a row of health_score_weights, health_score_bands and segment_settings live in
    optional_seed_rules.sql, which the models read through optional_seed_defaults.sql.
-#}

{% test names_defined_segments(model, milestones, seed_row, milestone_column=none) %}
    {{ return(adapter.dispatch('test_names_defined_segments', 'milestone_warehouse')(
        model, milestones, seed_row, milestone_column
    )) }}
{% endtest %}

{% macro default__test_names_defined_segments(model, milestones, seed_row, milestone_column=none) %}
-- rows of an optional seed naming a segment (or a segment's milestone) the milestones seed lacks
with

seed_rows as (
    select
        *,
        {{ seed_row }} as seed_row_name
    from {{ model }}
),

milestones as (
    select * from {{ milestones }}
),

segments as (
    select distinct segment from milestones
),

problems as (
    select
        seed_rows.seed_row_name || ' names segment ' || seed_rows.segment
        || ', which the milestones seed does not define: the row is ignored' as problem
    from seed_rows
    left join segments
        on seed_rows.segment = segments.segment
    where nullif(trim(seed_rows.segment), '') is not null and segments.segment is null
    {% if milestone_column %}

    union all

    select
        seed_rows.seed_row_name || ' names milestone ' || coalesce(seed_rows.{{ milestone_column }}, '(empty)')
        || ', which segment ' || seed_rows.segment || ' does not define: the row is ignored' as problem
    from seed_rows
    inner join segments
        on seed_rows.segment = segments.segment
    left join milestones
        on
            seed_rows.segment = milestones.segment
            and seed_rows.{{ milestone_column }} = milestones.milestone_id
    where milestones.milestone_id is null
    {% endif %}
)

select * from problems
{% endmacro %}

{% test health_score_weights_are_well_formed(model, milestones) %}
    {{ return(adapter.dispatch('test_health_score_weights_are_well_formed', 'milestone_warehouse')(
        model, milestones
    )) }}
{% endtest %}

{% macro default__test_health_score_weights_are_well_formed(model, milestones) %}
with

weights as (
    select
        score,
        nullif(trim(segment), '') as segment,
        component,
        measure,
        weight,
        scaling,
        saturation_value
    from {{ model }}
),

segments as (
    select distinct segment from {{ milestones }}
),

segment_rows as (
    select * from weights
    where segment is not null
),

-- the rows in force for each segment: its own, and the all-segments rows it does not replace
effective_weights as (
    select * from segment_rows

    union all

    select
        all_segment_rows.score,
        segments.segment,
        all_segment_rows.component,
        all_segment_rows.measure,
        all_segment_rows.weight,
        all_segment_rows.scaling,
        all_segment_rows.saturation_value
    from weights as all_segment_rows
    cross join segments
    left join segment_rows
        on
            segments.segment = segment_rows.segment
            and all_segment_rows.score = segment_rows.score
            and all_segment_rows.component = segment_rows.component
    where all_segment_rows.segment is null and segment_rows.component is null
),

score_totals as (
    select
        score,
        segment,
        sum(weight) as total_weight,
        sum(case when measure in ('milestone_completion', 'milestone_velocity') then weight else 0 end)
            as milestone_weight,
        sum(case when measure in ('milestone_completion', 'milestone_velocity') then 0 else weight end)
            as engagement_weight,
        max(case when measure = 'milestone_completion' then weight end) as completion_weight,
        max(case when measure != 'milestone_completion' then weight end) as largest_other_weight
    from effective_weights
    group by score, segment
),

-- the rules of a row (optional_seed_rules.sql): the models ignore the rows they flag
row_problems as (
    select
        score,
        segment,
        component,
        {{ health_score_weights_row_problem() }} as problem
    from weights
),

problems as (
    select * from row_problems
    where problem is not null

    -- the rules of a score as a whole

    union all

    select
        score,
        segment,
        component,
        'component ' || component || ' of score ' || score || ' (segment ' || coalesce(segment, 'all')
        || ') is listed more than once' as problem
    from weights
    group by score, segment, component
    having count(*) > 1

    union all

    select
        score,
        segment,
        '(all)',
        'score ' || score || ' has no weight at all in segment ' || segment as problem
    from score_totals
    where coalesce(total_weight, 0) <= 0

    union all

    select
        score,
        segment,
        '(all)',
        'in the health score of segment ' || segment || ', milestone completion and velocity must weigh'
        || ' more than engagement (docs/rules.md §6)' as problem
    from score_totals
    where score = 'health' and milestone_weight <= engagement_weight

    union all

    select
        score,
        segment,
        'milestone_completion',
        'in the health score of segment ' || segment || ', milestone completion must weigh at least as'
        || ' much as any other component' as problem
    from score_totals
    where score = 'health' and (completion_weight is null or completion_weight < largest_other_weight)
)

select * from problems
{% endmacro %}


{% test health_score_bands_are_well_formed(model) %}
    {{ return(adapter.dispatch('test_health_score_bands_are_well_formed', 'milestone_warehouse')(model)) }}
{% endtest %}

{% macro default__test_health_score_bands_are_well_formed(model) %}
-- the rules of a row (optional_seed_rules.sql): the models ignore the rows they flag
with

bands as (
    select * from {{ model }}
),

row_problems as (
    select
        band,
        band_order,
        {{ health_score_bands_row_problem() }} as problem
    from bands
),

problems as (
    select * from row_problems
    where problem is not null
)

select * from problems
{% endmacro %}


{% test segment_settings_are_well_formed(model) %}
    {{ return(adapter.dispatch('test_segment_settings_are_well_formed', 'milestone_warehouse')(model)) }}
{% endtest %}

{% macro default__test_segment_settings_are_well_formed(model) %}
-- the rules of a row and of each value (optional_seed_rules.sql): the models ignore the rows and the
-- values they flag
with

settings as (
    select
        segment,
        {% for column, problem in segment_settings_value_problems().items() %}
        {{ problem }} as {{ column }}_problem,
        {% endfor %}
        {{ segment_settings_row_problem() }} as row_problem
    from {{ model }}
),

problems as (
    select
        segment,
        row_problem as problem
    from settings
    where row_problem is not null
    {% for column in segment_settings_value_problems() %}

    union all

    select
        segment,
        {{ column }}_problem as problem
    from settings
    where {{ column }}_problem is not null
    {% endfor %}
)

select * from problems
{% endmacro %}


{#- references=true checks only the entry milestones' ids (a reference warning); else only the form -#}
{% test journey_stages_are_well_formed(model, milestones, references=false) %}
    {{ return(adapter.dispatch('test_journey_stages_are_well_formed', 'milestone_warehouse')(
        model, milestones, references
    )) }}
{% endtest %}

{% macro default__test_journey_stages_are_well_formed(model, milestones, references=false) %}
with

stages as (
    select * from {{ model }}
),

milestones as (
    select * from {{ milestones }}
),

-- how much of each stage's `|`-separated list the segment's milestone ids account for
matched_lengths as (
    select
        stages.segment,
        stages.stage,
        sum({{ dbt.length('milestones.milestone_id') }}) + count(*) - 1 as matched_length
    from stages
    inner join milestones
        on
            stages.segment = milestones.segment
            and {{ dbt.position(
                "'|' || milestones.milestone_id || '|'",
                "'|' || replace(stages.entry_milestone_ids, ' ', '') || '|'"
            ) }} > 0
    group by stages.segment, stages.stage
),

problems as (
    {% if references %}
    select
        stages.segment,
        stages.stage,
        'stage ' || stages.stage || ' of segment ' || stages.segment || ' is entered by '
        || stages.entry_milestone_ids || ', which names a milestone that segment does not define' as problem
    from stages
    left join matched_lengths
        on stages.segment = matched_lengths.segment and stages.stage = matched_lengths.stage
    where
        nullif(trim(stages.entry_milestone_ids), '') is not null
        and (
            matched_lengths.stage is null
            or matched_lengths.matched_length != {{ dbt.length("replace(stages.entry_milestone_ids, ' ', '')") }}
        )
    {% else %}
    select
        segment,
        stage,
        'stage ' || stage || ' of segment ' || segment || ' is listed more than once' as problem
    from stages
    group by segment, stage
    having count(*) > 1

    union all

    select
        segment,
        max(stage),
        'segment ' || segment || ' has two stages with stage_order '
        || {{ dbt.cast('stage_order', dbt.type_string()) }} as problem
    from stages
    group by segment, stage_order
    having count(*) > 1
    {% endif %}
)

select * from problems
{% endmacro %}


{% test experiments_are_well_formed(model, milestones) %}
    {{ return(adapter.dispatch('test_experiments_are_well_formed', 'milestone_warehouse')(model, milestones)) }}
{% endtest %}

{% macro default__test_experiments_are_well_formed(model, milestones) %}
with

experiments as (
    select * from {{ model }}
),

milestones as (
    select * from {{ milestones }}
),

problems as (
    select
        experiment_id,
        'experiment ' || experiment_id || ' is listed more than once' as problem
    from experiments
    group by experiment_id
    having count(*) > 1

    union all

    select
        experiment_id,
        'experiment ' || experiment_id || ' needs a control_variant, window_days of 1 or more, an'
        || ' expected_effect and a falsification_threshold' as problem
    from experiments
    where
        control_variant is null
        or window_days is null
        or window_days < 1
        or expected_effect is null
        or falsification_threshold is null
)

select * from problems
{% endmacro %}
