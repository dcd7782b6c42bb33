-- CSM overrides the landing check uses: a known account, a milestone of its segment and a readable
-- date (int_milestone_overrides__landing_checked; the others are in fct_landing_row_violations).

with

overrides as (
    select * from {{ ref('int_milestone_overrides__landing_checked') }}
    where is_used
),

final as (
    select
        account_id,
        segment,
        milestone_id,
        completed_at,
        marked_by,
        note,
        load_id,
        file_name,
        file_row_number
    from overrides
)

select * from final
