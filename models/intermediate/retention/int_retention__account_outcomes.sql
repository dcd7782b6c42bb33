-- One row per account with at least one known renewal outcome: the retained and churned cohorts that
-- the retention analysis compares. An account churned when any of its renewals churned.

with

renewals as (
    select * from {{ ref('int_renewals__outcomes') }}
),

final as (
    select
        account_id,
        segment,
        signed_up_at,
        count(*) as renewals_known,
        min(renewal_date) as first_renewal_date,
        max(renewal_date) as last_renewal_date,
        {{ dbt.bool_or('is_churned') }} as is_churned,
        {{ dbt.bool_or('is_expansion') }} as has_expanded
    from renewals
    group by 1, 2, 3
)

select * from final
