-- How often each account did each event early in its life: in its first var candidate_window_days
-- days after signup (day 0 = the signup's UTC date), and before its first renewal date - the first
-- day an outcome could be decided - so that an account that churned is not compared on the days
-- after it left. One row per account and event it did in that window; aggregated straight from the
-- events, so it scales with events, not days.

with

events as (
    select * from {{ ref('int_events__valid') }}
    where cast(occurred_at as date) <= {{ as_of_date() }}
),

accounts as (
    select * from {{ ref('int_accounts__current') }}
    where cast(signed_up_at as date) <= {{ as_of_date() }}
),

renewals as (
    select * from {{ ref('int_renewals__outcomes') }}
),

first_renewals as (
    select
        account_id,
        min(renewal_date) as first_renewal_date
    from renewals
    group by 1
),

early_events as (
    select
        events.account_id,
        accounts.segment,
        events.event_name,
        events.occurred_at
    from events
    inner join accounts
        on events.account_id = accounts.account_id
    left join first_renewals
        on events.account_id = first_renewals.account_id
    where
        {{ days_between('accounts.signed_up_at', 'events.occurred_at') }} >= 0
        and {{ days_between('accounts.signed_up_at', 'events.occurred_at') }}
        < {{ var('candidate_window_days') }}
        and (
            first_renewals.first_renewal_date is null
            or cast(events.occurred_at as date) < first_renewals.first_renewal_date
        )
),

final as (
    select
        account_id,
        segment,
        event_name,
        count(*) as event_count,
        min(occurred_at) as first_occurred_at
    from early_events
    group by 1, 2, 3
)

select * from final
