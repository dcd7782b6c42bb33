-- Every landed account row with the first landing rule it breaks (docs/rules.md §3), by the rule
-- numbers of seed landing_row_rules (file_kind accounts), which names each rule and says whether a
-- row breaking it is set aside (violation_reason) or used with a warning (warning_reason).
-- int_accounts__current reads the used rows; fct_landing_row_violations publishes the others.

{%- set file_kind = 'accounts' %}

with

landed_accounts as (
    select * from {{ ref('stg_landing__accounts') }}
),

milestone_definitions as (
    select * from {{ ref('int_milestone_definitions') }}
),

row_rules as (
    select * from {{ ref('landing_row_rules') }}
    where file_kind = '{{ file_kind }}'
),

-- rules 1 to 4: what a row breaks on its own
row_checks as (
    select
        landed_accounts.*,
        case
            when load_error is not null then 1
            when account_id is null or segment is null or signup_at_text is null then 2
            when signed_up_at is null then 3
            when arr_text is not null and arr is null then 4
        end as row_rule_number
    from landed_accounts
),

-- rule 5: of one file's rows of an account that break no other rule, the last one is used (a later
-- file updates the account: int_accounts__current takes the latest load)
numbered_copies as (
    select
        raw_row_id,
        row_number() over (
            partition by load_id, account_id
            order by file_row_number desc
        ) as copy_number
    from row_checks
    where row_rule_number is null
),

segments_with_milestones as (
    select distinct segment from milestone_definitions
),

-- rules 6 and 7 only warn: the account is used, but is missing from what the rule names
checked as (
    select
        row_checks.*,
        case
            when row_checks.row_rule_number is not null then row_checks.row_rule_number
            when numbered_copies.copy_number > 1 then 5
            when segments_with_milestones.segment is null then 6
            when row_checks.crm_id is null then 7
        end as rule_number
    from row_checks
    left join numbered_copies
        on row_checks.raw_row_id = numbered_copies.raw_row_id
    left join segments_with_milestones
        on row_checks.segment = segments_with_milestones.segment
),

named as (
    {{ landing_rule_named('checked', 'row_rules') }}
),

final as (
    select
        raw_row_id,
        '{{ file_kind }}' as file_kind,
        account_id,
        account_name,
        segment,
        signed_up_at,
        arr,
        crm_id,
        owner,
        {{ landing_row_verdict() }},
        case rule_number
            when 1 then load_error
            when 2 then 'empty: ' || trim({{ dbt.concat([
                "case when account_id is null then 'account_id ' else '' end",
                "case when segment is null then 'segment ' else '' end",
                "case when signup_at_text is null then 'signup_at' else '' end",
            ]) }})
            when 3 then 'signup_at is not a readable timestamp: ' || signup_at_text
            when 4 then 'arr is not a number: ' || arr_text
            when 5 then 'a later row of the same file has account_id ' || account_id
            when 6 then 'segment ' || segment || ' has no milestones'
            when 7 then 'crm_id is empty'
        end as reason_detail
    from named
)

select * from final
