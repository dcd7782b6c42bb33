-- The latest landed version of each account: a re-landed accounts file updates ARR, owner, segment.

with

accounts as (
    select * from {{ ref('stg_landing__accounts') }}
),

versions as (
    select
        accounts.*,
        row_number() over (
            partition by account_id
            order by load_id desc, file_row_number desc
        ) as version_number
    from accounts
    where account_id is not null and load_error is null
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
