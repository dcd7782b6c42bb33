-- Onboarding as a time series: per segment, signup month and milestone, how many accounts of the
-- cohort completed it (ever, and within var onboarding_horizon_days of signup among the accounts
-- observed that long, which keeps young and old cohorts comparable), the median days to it, and
-- where the cohort stalls: accounts stalled on it now and accounts that completed it late.

with

account_milestones as (
    select * from {{ ref('int_account_milestones__stall_checked') }}
),

accounts as (
    select * from {{ ref('int_accounts__current') }}
),

cohort_milestones as (
    select
        account_milestones.*,
        cast({{ dbt.date_trunc('month', 'accounts.signed_up_at') }} as date) as signup_month,
        {{ days_between('accounts.signed_up_at', as_of_date()) }}
        >= {{ var('onboarding_horizon_days') }} as is_observed_for_horizon
    from account_milestones
    inner join accounts
        on account_milestones.account_id = accounts.account_id
),

final as (
    select
        segment,
        signup_month,
        milestone_id,
        cast(sequence as {{ dbt.type_int() }}) as sequence,
        count(*) as cohort_accounts,
        count(completed_at) as completed_accounts,
        {{ round_double(safe_divide('count(completed_at)', 'count(*)'), 6) }} as completion_rate,
        count(case when is_observed_for_horizon then 1 end) as accounts_observed_for_horizon,
        count(
            case when is_observed_for_horizon and days_from_signup <= {{ var('onboarding_horizon_days') }} then 1 end
        ) as completed_within_horizon,
        {{ round_double(safe_divide(
            'count(case when is_observed_for_horizon and days_from_signup <= '
            ~ var('onboarding_horizon_days') ~ ' then 1 end)',
            'count(case when is_observed_for_horizon then 1 end)'
        ), 6) }} as completion_rate_within_horizon,
        cast({{ percentile_cont('days_from_signup', 0.5) }} as {{ type_double() }}) as median_days_from_signup,
        cast(
            {{ percentile_cont('case when days_from_previous < 0 then 0 else days_from_previous end', 0.5) }}
            as {{ type_double() }}
        ) as median_days_from_previous,
        count(case when status = 'active' then 1 end) as active_accounts,
        count(case when is_stalled then 1 end) as stalled_accounts,
        count(case when days_from_previous > stall_threshold_days then 1 end) as completed_late_accounts,
        cast({{ var('onboarding_horizon_days') }} as {{ dbt.type_int() }}) as horizon_days
    from cohort_milestones
    group by 1, 2, 3, 4
)

select * from final
