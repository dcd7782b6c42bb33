{% test health_current_point_matches_engine(model, account_milestones) %}
    {{ return(adapter.dispatch('test_health_current_point_matches_engine', 'milestone_warehouse')(
        model, account_milestones
    )) }}
{% endtest %}

{% macro default__test_health_current_point_matches_engine(model, account_milestones) %}
-- The point-in-time milestone features on the as-of date must say what the engine says: the same
-- milestones completed, the same active milestone and the same days waiting on it. Returns the
-- accounts where they differ.
with

features as (
    select * from {{ model }}
    where point_type = 'current'
),

account_milestones as (
    select * from {{ account_milestones }}
),

engine as (
    select
        account_id,
        count(completed_at) as milestones_completed,
        max(case when status = 'active' then milestone_id end) as active_milestone_id,
        max(case when status = 'active' then days_waiting end) as days_waiting
    from account_milestones
    group by account_id
)

select
    features.account_id,
    features.milestones_completed as feature_milestones_completed,
    engine.milestones_completed as engine_milestones_completed,
    features.active_milestone_id as feature_active_milestone_id,
    engine.active_milestone_id as engine_active_milestone_id,
    features.days_in_active_milestone as feature_days_in_active_milestone,
    engine.days_waiting as engine_days_waiting
from features
full outer join engine
    on features.account_id = engine.account_id
where
    features.account_id is null
    or engine.account_id is null
    or features.milestones_completed != engine.milestones_completed
    or coalesce(features.active_milestone_id, '') != coalesce(engine.active_milestone_id, '')
    or coalesce(features.days_in_active_milestone, -1) != coalesce(engine.days_waiting, -1)
{% endmacro %}
