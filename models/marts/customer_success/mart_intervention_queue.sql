-- One row per stalled account that is still a customer (a churned account has no one left to help):
-- the milestone it is stuck on, how late it is and what to do about it.
-- trigger_id stays the same for as long as the same stall lasts, so a CSM tool that syncs this queue
-- daily raises one alert per stall, not one a day.

with

account_milestones as (
    select * from {{ ref('int_account_milestones__stall_checked') }}
),

accounts as (
    select * from {{ ref('int_accounts__current') }}
),

account_outcomes as (
    select * from {{ ref('int_retention__account_outcomes') }}
),

stalls as (
    select
        account_milestones.account_id,
        accounts.account_name,
        accounts.owner,
        accounts.crm_id,
        account_milestones.segment,
        coalesce(accounts.arr, 0) as arr,
        account_milestones.milestone_id,
        account_milestones.milestone_name,
        account_milestones.sequence,
        account_milestones.clock_started_at,
        account_milestones.days_waiting,
        account_milestones.target_days,
        account_milestones.stall_threshold_days,
        account_milestones.stall_threshold_source,
        account_milestones.days_overdue,
        account_milestones.stall_starts_on,
        account_milestones.playbook
    from account_milestones
    inner join accounts
        on account_milestones.account_id = accounts.account_id
    left join account_outcomes
        on account_milestones.account_id = account_outcomes.account_id
    where account_milestones.is_stalled and not coalesce(account_outcomes.is_churned, false)
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            "account_id", "'|'", "milestone_id", "'|'", dbt.cast("cast(clock_started_at as date)", dbt.type_string())
        ])) }} as trigger_id,
        account_id,
        account_name,
        owner,
        crm_id,
        segment,
        arr,
        milestone_id,
        milestone_name,
        sequence,
        days_waiting,
        target_days,
        stall_threshold_days,
        stall_threshold_source,
        days_overdue,
        -- the first day on which the milestone counted as stalled
        stall_starts_on as first_due_on,
        playbook,
        -- ARR on a log scale (a 10x larger account is one step more urgent), times lateness
        cast(
            round(
                cast(
                    (1 + ln(1 + arr))
                    * (1 + cast(days_overdue as {{ type_double() }}) / greatest(stall_threshold_days, 1))
                    as {{ dbt.type_numeric() }}
                ),
                2
            ) as {{ type_double() }}
        ) as priority_score
    from stalls
)

select
    final.*,
    cast(
        row_number() over (order by priority_score desc, days_overdue desc, account_id asc) as bigint
    ) as priority_rank
from final
