-- Violation rate per event name and reason: what the tracking plan's owners look at first.

with

checked_events as (
    select * from {{ ref('int_events__contract_checked') }}
),

tracking_plan_events as (
    select * from {{ ref('tracking_plan_events') }}
),

rows_per_event as (
    select
        coalesce(event_name, '(empty)') as event_name,
        count(*) as landed_rows
    from checked_events
    group by 1
),

violations as (
    select
        coalesce(event_name, '(empty)') as event_name,
        violation_reason as reason,
        count(*) as violating_rows
    from checked_events
    where violation_reason is not null
    group by 1, 2
),

final as (
    select
        violations.event_name,
        violations.reason,
        tracking_plan_events.event_name is not null as is_planned_event,
        violations.violating_rows,
        rows_per_event.landed_rows,
        cast(violations.violating_rows as {{ type_double() }}) / rows_per_event.landed_rows as violation_rate,
        cast(sum(violations.violating_rows) over (partition by violations.event_name) as {{ type_double() }})
        / rows_per_event.landed_rows as event_violation_rate
    from violations
    inner join rows_per_event
        on violations.event_name = rows_per_event.event_name
    left join tracking_plan_events
        on violations.event_name = tracking_plan_events.event_name
)

select * from final
