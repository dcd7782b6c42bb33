-- How often each account did each event early in its life: in its first var candidate_window_days
-- days after signup (day 0 = the signup's UTC date), and before its first renewal date - the first
-- day an outcome could be decided - so that an account that churned is not compared on the days
-- after it left. One row per account and event it did in that window; added up from the events
-- counted per account, UTC day and event name (int_events__daily_counts).

with

daily_events as (
    select * from {{ ref('int_events__daily_counts') }}
    where activity_date <= {{ as_of_date() }}
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

early_days as (
    select
        daily_events.account_id,
        accounts.segment,
        daily_events.event_name,
        daily_events.event_count,
        daily_events.first_occurred_at
    from daily_events
    inner join accounts
        on daily_events.account_id = accounts.account_id
    left join first_renewals
        on daily_events.account_id = first_renewals.account_id
    where
        {{ days_between('accounts.signed_up_at', 'daily_events.activity_date') }} >= 0
        and {{ days_between('accounts.signed_up_at', 'daily_events.activity_date') }}
        < {{ var('candidate_window_days') }}
        and (
            first_renewals.first_renewal_date is null
            or daily_events.activity_date < first_renewals.first_renewal_date
        )
),

final as (
    select
        account_id,
        segment,
        event_name,
        cast(sum(event_count) as {{ dbt.type_bigint() }}) as event_count,
        min(first_occurred_at) as first_occurred_at
    from early_days
    group by 1, 2, 3
)

select * from final
