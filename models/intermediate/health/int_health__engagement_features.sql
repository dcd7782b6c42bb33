-- The engagement side of the scores at each scoring point: for each engagement measure the weights
-- seed names (active_days, event_count, each over one event name or `*`), its raw value over the
-- var health_engagement_window_days days ending on the scoring date. Only events whose UTC date
-- lies in that window count, so nothing after the scoring date can reach a score. Events are read
-- counted per account, UTC day and event name (int_events__daily_counts), then per feature, so the
-- join to scoring points is of rollups.

with

points as (
    select * from {{ ref('int_health__scoring_points') }}
),

daily_events as (
    select * from {{ ref('int_events__daily_counts') }}
    where activity_date <= {{ as_of_date() }}
),

weights as (
    -- the seed's well-formed rows, or the default weights when it has none (docs/rules.md §4)
    {{ health_score_weights_in_force() }}
),

feature_definitions as (
    select distinct
        measure,
        coalesce(nullif(trim(event_name), ''), '*') as event_name
    from weights
    where measure in ('active_days', 'event_count')
),

-- each feature's days: an event name's own days, and for `*` every day with any event. Two equi-joins
-- rather than one join on "name matches or the feature is '*'", which would not hash.
named_feature_days as (
    select
        daily_events.account_id,
        daily_events.activity_date,
        feature_definitions.measure,
        feature_definitions.event_name,
        daily_events.event_count
    from daily_events
    inner join feature_definitions
        on daily_events.event_name = feature_definitions.event_name
),

any_event_feature_days as (
    select
        daily_events.account_id,
        daily_events.activity_date,
        feature_definitions.measure,
        feature_definitions.event_name,
        sum(daily_events.event_count) as event_count
    from daily_events
    cross join feature_definitions
    where feature_definitions.event_name = '*'
    group by 1, 2, 3, 4
),

feature_days as (
    select * from named_feature_days
    union all
    select * from any_event_feature_days
),

-- one row per feature and day in each point's window: the join that grows with the points (a
-- history fill has one point per account and day) meets one row per feature-day, not per event name
measured as (
    select
        points.scoring_point_id,
        feature_days.measure,
        feature_days.event_name,
        case
            when feature_days.measure = 'active_days' then cast(count(*) as {{ type_double() }})
            else cast(sum(feature_days.event_count) as {{ type_double() }})
        end as raw_value,
        max(feature_days.activity_date) as latest_activity_on
    from points
    inner join feature_days
        on points.account_id = feature_days.account_id
    where feature_days.activity_date between points.engagement_window_starts_on and points.scored_on
    group by 1, 2, 3
),

final as (
    select
        points.scoring_point_id,
        points.engagement_window_starts_on,
        points.scored_on,
        feature_definitions.measure,
        feature_definitions.event_name,
        coalesce(measured.raw_value, 0) as raw_value,
        measured.latest_activity_on
    from points
    cross join feature_definitions
    left join measured
        on
            points.scoring_point_id = measured.scoring_point_id
            and feature_definitions.measure = measured.measure
            and feature_definitions.event_name = measured.event_name
)

select * from final
