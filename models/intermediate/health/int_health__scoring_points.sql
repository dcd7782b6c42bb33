-- The moments at which accounts are scored: every account on the as-of date (the customer record's
-- score), and every known renewal some days before its date (the backtest): the segment's
-- backtest_days_before_renewal in segment_settings, else var backtest_days_before_renewal. One
-- scoring model serves both, so the backtested score is the score a CSM sees.
-- A renewal whose scoring date falls before the account's signup is not scored.
-- `milestones history` adds each account on each past day it fills (int_health__history_points).

with

accounts as (
    select * from {{ ref('int_accounts__current') }}
    where cast(signed_up_at as date) <= {{ as_of_date() }}
),

renewals as (
    select * from {{ ref('int_renewals__outcomes') }}
),

segment_settings as (
    -- the seed's well-formed rows; a segment without one gets the defaults (docs/rules.md §4)
    {{ segment_settings_in_force() }}
),

history_points as (
    select * from {{ ref('int_health__history_points') }}
),

current_points as (
    select
        {{ dbt.concat(["'current|'", 'account_id']) }} as scoring_point_id,
        'current' as point_type,
        account_id,
        segment,
        signed_up_at,
        {{ as_of_date() }} as scored_on,
        cast(null as {{ dbt.type_string() }}) as renewal_id
    from accounts
),

renewal_lead_days as (
    select
        renewals.*,
        coalesce(
            segment_settings.backtest_days_before_renewal, {{ var('backtest_days_before_renewal') }}
        ) as days_before_renewal
    from renewals
    left join segment_settings
        on renewals.segment = segment_settings.segment
),

renewal_points as (
    select
        {{ dbt.concat(["'renewal|'", 'renewal_id']) }} as scoring_point_id,
        'renewal' as point_type,
        account_id,
        segment,
        signed_up_at,
        cast({{ dbt.dateadd('day', '-1 * days_before_renewal', 'renewal_date') }} as date) as scored_on,
        renewal_id
    from renewal_lead_days
),

points as (
    select * from current_points
    union all
    select * from renewal_points
    where cast(signed_up_at as date) <= scored_on
    union all
    select
        scoring_point_id,
        point_type,
        account_id,
        segment,
        signed_up_at,
        scored_on,
        renewal_id
    from history_points
),

final as (
    select
        points.*,
        -- the engagement window: the var health_engagement_window_days days ending on the scoring date
        cast(
            {{ dbt.dateadd('day', 1 - var('health_engagement_window_days'), 'points.scored_on') }} as date
        ) as engagement_window_starts_on
    from points
)

select * from final
