-- 90-day retention by milestone velocity: per segment and milestone, the accounts observed for the
-- whole horizon (var retention_horizon_days) split into quartiles of their velocity on that milestone
-- (days from the previous milestone, quartile 1 = fastest) among those that completed it within the
-- horizon, plus a `not_reached` group; for each group, how many were retained - no churned renewal
-- within the horizon after signup.

with

progress as (
    select * from {{ ref('int_account_milestone_progress') }}
),

renewals as (
    select * from {{ ref('int_renewals__outcomes') }}
),

early_churns as (
    select
        account_id,
        min(renewal_date) as churned_on
    from renewals
    where
        is_churned
        and {{ days_between('signed_up_at', 'renewal_date') }} <= {{ var('retention_horizon_days') }}
    group by 1
),

observed_milestones as (
    select
        progress.account_id,
        progress.segment,
        progress.milestone_id,
        progress.sequence,
        progress.days_from_previous,
        early_churns.account_id is null as is_retained,
        coalesce(
            progress.days_from_signup <= {{ var('retention_horizon_days') }}
            and progress.days_from_previous is not null,
            false
        ) as is_reached_in_horizon
    from progress
    left join early_churns
        on progress.account_id = early_churns.account_id
    where {{ days_between('progress.signed_up_at', as_of_date()) }} >= {{ var('retention_horizon_days') }}
),

quartiled as (
    select
        observed_milestones.*,
        case
            when is_reached_in_horizon
                then ntile(4) over (
                        partition by segment, milestone_id, is_reached_in_horizon
                        order by days_from_previous, account_id
                    )
        end as velocity_quartile
    from observed_milestones
),

final as (
    select
        segment,
        milestone_id,
        cast(sequence as {{ dbt.type_int() }}) as sequence,
        case
            when velocity_quartile is null then 'not_reached'
            else {{ dbt.concat(["'q'", dbt.cast('velocity_quartile', dbt.type_string())]) }}
        end as velocity_group,
        cast(velocity_quartile as {{ dbt.type_int() }}) as velocity_quartile,
        cast(min(days_from_previous) as {{ dbt.type_int() }}) as min_days_from_previous,
        cast(max(days_from_previous) as {{ dbt.type_int() }}) as max_days_from_previous,
        count(*) as accounts,
        count(case when is_retained then 1 end) as retained,
        count(case when not is_retained then 1 end) as churned,
        {{ round_double(safe_divide('count(case when is_retained then 1 end)', 'count(*)'), 6) }} as retention_rate,
        cast({{ var('retention_horizon_days') }} as {{ dbt.type_int() }}) as horizon_days
    from quartiled
    group by 1, 2, 3, 4, 5
)

select * from final
