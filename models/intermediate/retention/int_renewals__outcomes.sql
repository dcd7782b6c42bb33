-- Renewal outcomes known by the as-of date: one row per account and renewal date (the latest landed
-- version wins), from the rows the landing check uses (a known account, a readable date and outcome:
-- int_renewals__landing_checked). Expansion: renewed with arr_after > arr_before (docs/rules.md §3).

with

renewals as (
    select * from {{ ref('int_renewals__landing_checked') }}
    where is_used
),

accounts as (
    select * from {{ ref('int_accounts__current') }}
),

readable_renewals as (
    select
        renewals.*,
        row_number() over (
            partition by renewals.account_id, renewals.renewal_date
            order by renewals.load_id desc, renewals.file_row_number desc
        ) as version_number
    from renewals
    where renewals.renewal_date <= {{ as_of_date() }}
),

final as (
    select
        {{ dbt.concat([
            'readable_renewals.account_id', "'|'", dbt.cast('readable_renewals.renewal_date', dbt.type_string())
        ]) }} as renewal_id,
        readable_renewals.account_id,
        accounts.segment,
        accounts.signed_up_at,
        readable_renewals.renewal_date,
        readable_renewals.outcome,
        readable_renewals.outcome = 'churned' as is_churned,
        coalesce(
            readable_renewals.outcome = 'renewed' and readable_renewals.arr_after > readable_renewals.arr_before,
            false
        ) as is_expansion,
        readable_renewals.arr_before,
        readable_renewals.arr_after,
        row_number() over (
            partition by readable_renewals.account_id
            order by readable_renewals.renewal_date
        ) as renewal_number
    from readable_renewals
    inner join accounts
        on readable_renewals.account_id = accounts.account_id
    where readable_renewals.version_number = 1
)

select * from final
