-- Each known renewal with how many of the segment's milestones the account had completed by the
-- renewal date (completions whose UTC date is on or before it, which is what the engine run as of
-- that date would say: see int_health__milestone_features).

with

renewals as (
    select * from {{ ref('int_renewals__outcomes') }}
),

completions as (
    select * from {{ ref('int_account_milestone_completions') }}
),

final as (
    select
        renewals.renewal_id,
        renewals.account_id,
        renewals.segment,
        renewals.renewal_date,
        renewals.renewal_number,
        renewals.is_churned,
        renewals.is_expansion,
        count(completions.milestone_id) as milestones_total,
        count(
            case when cast(completions.completed_at as date) <= renewals.renewal_date then 1 end
        ) as milestones_completed
    from renewals
    left join completions
        on renewals.account_id = completions.account_id
    group by 1, 2, 3, 4, 5, 6, 7
)

select * from final
