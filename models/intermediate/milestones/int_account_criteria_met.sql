-- When each account met each criterion of its segment's milestones: the met rows of
-- int_account_criteria_progress, one per criterion met; unmet criteria have none.

-- A view: the progress model is incremental, so this costs nothing to refresh.
{{ config(materialized='view') }}

with

progress as (
    select * from {{ ref('int_account_criteria_progress') }}
),

final as (
    select
        account_id,
        milestone_id,
        criterion_id,
        met_at,
        met_by_event_id,
        met_in_group,
        processed_load_id,
        seed_fingerprint
    from progress
    where is_met
)

select * from final
