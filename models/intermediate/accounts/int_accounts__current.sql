-- The latest used version of each account: a re-landed accounts file updates ARR, owner, segment.
-- Only rows the landing check uses count (int_accounts__landing_checked, docs/rules.md §3).

with

accounts as (
    select * from {{ ref('int_accounts__landing_checked') }}
    where is_used
),

versions as (
    select
        accounts.*,
        row_number() over (
            partition by account_id
            order by load_id desc, file_row_number desc
        ) as version_number
    from accounts
),

final as (
    select
        account_id,
        account_name,
        segment,
        signed_up_at,
        arr,
        crm_id,
        owner,
        load_id
    from versions
    where version_number = 1
)

select * from final
