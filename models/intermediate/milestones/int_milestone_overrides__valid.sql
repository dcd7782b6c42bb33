-- CSM overrides that name a known account and a milestone of its segment, with a readable date.
-- The rows left out are listed, with their file and row, by the test on this model's YAML.

with

overrides as (
    select * from {{ ref('stg_landing__milestone_overrides') }}
),

accounts as (
    select * from {{ ref('int_accounts__current') }}
),

definitions as (
    select * from {{ ref('int_milestone_definitions') }}
),

final as (
    select
        overrides.account_id,
        accounts.segment,
        overrides.milestone_id,
        overrides.completed_at,
        overrides.marked_by,
        overrides.note,
        overrides.load_id,
        overrides.file_name,
        overrides.file_row_number
    from overrides
    inner join accounts
        on overrides.account_id = accounts.account_id
    inner join definitions
        on
            accounts.segment = definitions.segment
            and overrides.milestone_id = definitions.milestone_id
    where overrides.completed_at is not null and overrides.load_error is null
)

select * from final
