-- Every landed experiment assignment with the first landing rule it breaks (docs/rules.md §3), by
-- the rule numbers of seed landing_row_rules (file_kind experiment_assignments), which names each
-- rule. A row breaking one is set aside (violation_reason); int_experiments__account_outcomes reads
-- the used rows and fct_landing_row_violations publishes the others.

{%- set file_kind = 'experiment_assignments' %}

with

landed_assignments as (
    select * from {{ ref('stg_landing__experiment_assignments') }}
),

experiments as (
    select * from {{ ref('experiments') }}
),

accounts as (
    select * from {{ ref('int_accounts__current') }}
),

row_rules as (
    select * from {{ ref('landing_row_rules') }}
    where file_kind = '{{ file_kind }}'
),

-- rules 1 to 6: what a row breaks on its own or against the experiments and the accounts
row_checks as (
    select
        landed_assignments.*,
        experiments.segment as experiment_segment,
        accounts.segment as account_segment,
        case
            when landed_assignments.load_error is not null then 1
            when
                landed_assignments.account_id is null
                or landed_assignments.experiment_id is null
                or landed_assignments.variant is null
                or landed_assignments.assigned_at_text is null
                then 2
            when landed_assignments.assigned_at is null then 3
            when experiments.experiment_id is null then 4
            when accounts.account_id is null then 5
            when accounts.segment != experiments.segment then 6
        end as row_rule_number
    from landed_assignments
    left join experiments
        on landed_assignments.experiment_id = experiments.experiment_id
    left join accounts
        on landed_assignments.account_id = accounts.account_id
),

-- rule 7: of one file's assignments of an account to an experiment that break no other rule, the
-- last one is used (a later file replaces it: int_experiments__account_outcomes takes the latest load)
numbered_copies as (
    select
        raw_row_id,
        row_number() over (
            partition by load_id, experiment_id, account_id
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
        experiment_id,
        variant,
        assigned_at,
        {{ landing_row_verdict() }},
        case rule_number
            when 1 then load_error
            when 2 then 'empty: ' || trim({{ dbt.concat([
                "case when account_id is null then 'account_id ' else '' end",
                "case when experiment_id is null then 'experiment_id ' else '' end",
                "case when variant is null then 'variant ' else '' end",
                "case when assigned_at_text is null then 'assigned_at' else '' end",
            ]) }})
            when 3 then 'assigned_at is not a readable timestamp: ' || assigned_at_text
            when 4 then 'experiment_id not among the experiments: ' || experiment_id
            when 5 then 'account_id not among the accounts: ' || account_id
            when 6
                then
                    'experiment ' || experiment_id || ' targets segment ' || experiment_segment
                    || ', the account is in segment ' || account_segment
            when 7
                then
                    'a later row of the same file assigns account ' || account_id || ' to experiment '
                    || experiment_id
        end as reason_detail
    from named
)

select * from final
