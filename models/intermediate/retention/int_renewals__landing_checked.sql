-- Every landed renewal row with the first landing rule it breaks (docs/rules.md §3), by the rule
-- numbers of seed landing_row_rules (file_kind renewals), which names each rule. A row breaking one
-- is set aside (violation_reason); int_renewals__outcomes reads the used rows and
-- fct_landing_row_violations publishes the others.

{%- set file_kind = 'renewals' %}

with

landed_renewals as (
    select * from {{ ref('stg_landing__renewals') }}
),

accounts as (
    select * from {{ ref('int_accounts__current') }}
),

row_rules as (
    select * from {{ ref('landing_row_rules') }}
    where file_kind = '{{ file_kind }}'
),

-- rules 1 to 6: what a row breaks on its own or against the accounts
row_checks as (
    select
        landed_renewals.*,
        case
            when landed_renewals.load_error is not null then 1
            when
                landed_renewals.account_id is null
                or landed_renewals.renewal_date_text is null
                or landed_renewals.outcome is null
                then 2
            when landed_renewals.renewal_date is null then 3
            when
                (landed_renewals.arr_before_text is not null and landed_renewals.arr_before is null)
                or (landed_renewals.arr_after_text is not null and landed_renewals.arr_after is null)
                then 4
            when landed_renewals.outcome not in ('renewed', 'churned') then 5
            when accounts.account_id is null then 6
        end as row_rule_number
    from landed_renewals
    left join accounts
        on landed_renewals.account_id = accounts.account_id
),

-- rule 7: of one file's rows of a renewal (account and date) that break no other rule, the last one
-- is used (a later file replaces the renewal: int_renewals__outcomes takes the latest load)
numbered_copies as (
    select
        raw_row_id,
        row_number() over (
            partition by load_id, account_id, renewal_date
            order by file_row_number desc
        ) as copy_number
    from row_checks
    where row_rule_number is null
),

checked as (
    select
        row_checks.*,
        case
            when row_checks.row_rule_number is not null then row_checks.row_rule_number
            when numbered_copies.copy_number > 1 then 7
        end as rule_number
    from row_checks
    left join numbered_copies
        on row_checks.raw_row_id = numbered_copies.raw_row_id
),

named as (
    {{ landing_rule_named('checked', 'row_rules') }}
),

final as (
    select
        raw_row_id,
        '{{ file_kind }}' as file_kind,
        account_id,
        renewal_date,
        outcome,
        arr_before,
        arr_after,
        {{ landing_row_verdict() }},
        case rule_number
            when 1 then load_error
            when 2 then 'empty: ' || trim({{ dbt.concat([
                "case when account_id is null then 'account_id ' else '' end",
                "case when renewal_date_text is null then 'renewal_date ' else '' end",
                "case when outcome is null then 'outcome' else '' end",
            ]) }})
            when 3 then 'renewal_date is not a readable date: ' || renewal_date_text
            when 4
                then
                    case
                        when arr_before_text is not null and arr_before is null
                            then 'arr_before is not a number: ' || arr_before_text
                        else 'arr_after is not a number: ' || arr_after_text
                    end
            when 5 then 'outcome is neither renewed nor churned: ' || outcome
            when 6 then 'account_id not among the accounts: ' || account_id
            when 7
                then
                    'a later row of the same file has account_id ' || account_id || ' and renewal_date '
                    || renewal_date_text
        end as reason_detail
    from named
)

select * from final
