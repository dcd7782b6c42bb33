-- Every landed milestone override with the first landing rule it breaks (docs/rules.md §3), by the
-- rule numbers of seed landing_row_rules (file_kind milestone_overrides), which names each rule. A
-- row breaking one is set aside (violation_reason); int_milestone_overrides__valid reads the used
-- rows and fct_landing_row_violations publishes the others.

{%- set file_kind = 'milestone_overrides' %}

with

landed_overrides as (
    select * from {{ ref('stg_landing__milestone_overrides') }}
),

accounts as (
    select * from {{ ref('int_accounts__current') }}
),

definitions as (
    select * from {{ ref('int_milestone_definitions') }}
),

row_rules as (
    select * from {{ ref('landing_row_rules') }}
    where file_kind = '{{ file_kind }}'
),

-- rules 1 to 5: what a row breaks on its own or against the accounts and their segment's milestones
row_checks as (
    select
        landed_overrides.*,
        accounts.segment,
        case
            when landed_overrides.load_error is not null then 1
            when
                landed_overrides.account_id is null
                or landed_overrides.milestone_id is null
                or landed_overrides.completed_at_text is null
                then 2
            when landed_overrides.completed_at is null then 3
            when accounts.account_id is null then 4
            when definitions.milestone_id is null then 5
        end as row_rule_number
    from landed_overrides
    left join accounts
        on landed_overrides.account_id = accounts.account_id
    left join definitions
        on
            accounts.segment = definitions.segment
            and landed_overrides.milestone_id = definitions.milestone_id
),

-- rule 6: of one file's overrides of an account's milestone that break no other rule, the earliest
-- is used (the earliest override counts: int_account_milestone_completions)
numbered_copies as (
    select
        raw_row_id,
        row_number() over (
            partition by load_id, account_id, milestone_id
            order by completed_at, file_row_number
        ) as copy_number
    from row_checks
    where row_rule_number is null
),

checked as (
    select
        row_checks.*,
        case
            when row_checks.row_rule_number is not null then row_checks.row_rule_number
            when numbered_copies.copy_number > 1 then 6
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
        segment,
        milestone_id,
        completed_at,
        marked_by,
        note,
        {{ landing_row_verdict() }},
        case rule_number
            when 1 then load_error
            when 2 then 'empty: ' || trim({{ dbt.concat([
                "case when account_id is null then 'account_id ' else '' end",
                "case when milestone_id is null then 'milestone_id ' else '' end",
                "case when completed_at_text is null then 'completed_at' else '' end",
            ]) }})
            when 3 then 'completed_at is not a readable timestamp: ' || completed_at_text
            when 4 then 'account_id not among the accounts: ' || account_id
            when 5 then 'milestone ' || milestone_id || ' is not a milestone of segment ' || segment
            when 6
                then
                    'another row of the same file marks milestone ' || milestone_id || ' of account ' || account_id
                    || ' complete no later'
        end as reason_detail
    from named
)

select * from final
