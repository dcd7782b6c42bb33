-- Accounts that moved between health bands, per week (docs/history.md): each account's band on its
-- last recorded day of a week (weeks start on Monday, UTC dates) against its band on its last
-- recorded day of the week before. Read from the customer record's history
-- (int_accounts__status_history), so it covers the days builds and `milestones history` recorded; a
-- week with no recorded day, or right after one, shows no moves. One row per week, segment and
-- pair of different bands, with the accounts that made that move and its direction.

with

status_history as (
    select * from {{ ref('int_accounts__status_history') }}
),

bands as (
    -- the seed's well-formed bands, or the default bands when it has none (docs/rules.md §4)
    {{ health_score_bands_in_force() }}
),

weekly_days as (
    select
        account_id,
        segment,
        health_band,
        cast({{ dbt.date_trunc('week', 'as_of_date') }} as date) as week_starts_on,
        row_number() over (
            partition by account_id, {{ dbt.date_trunc('week', 'as_of_date') }}
            order by as_of_date desc
        ) as day_from_week_end
    from status_history
),

week_ends as (
    select * from weekly_days
    where day_from_week_end = 1
),

with_previous_week as (
    select
        week_ends.*,
        lag(week_starts_on) over (partition by account_id order by week_starts_on) as previous_week_starts_on,
        lag(health_band) over (partition by account_id order by week_starts_on) as previous_health_band
    from week_ends
),

moves as (
    select
        week_starts_on,
        segment,
        previous_health_band as from_band,
        health_band as to_band,
        account_id
    from with_previous_week
    where
        previous_week_starts_on = cast({{ dbt.dateadd('day', -7, 'week_starts_on') }} as date)
        and previous_health_band != health_band
),

final as (
    select
        moves.week_starts_on,
        moves.segment,
        moves.from_band,
        moves.to_band,
        case when to_bands.band_order > from_bands.band_order then 'up' else 'down' end as direction,
        count(*) as accounts
    from moves
    inner join bands as from_bands
        on moves.from_band = from_bands.band
    inner join bands as to_bands
        on moves.to_band = to_bands.band
    group by 1, 2, 3, 4, 5
)

select * from final
