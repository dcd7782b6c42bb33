-- The conservation law of the event contract: every landed event row is in exactly one of fct_events
-- and the quarantine. Returns the landed rows that are in neither or in both.

with

landed as (
    select raw_row_id from {{ ref('stg_landing__events') }}
),

placed as (
    select raw_row_id from {{ ref('fct_events') }}
    union all
    select raw_row_id from {{ ref('fct_event_contract_violations') }}
),

placements as (
    select
        raw_row_id,
        count(*) as times_placed
    from placed
    group by 1
),

final as (
    select
        coalesce(landed.raw_row_id, placements.raw_row_id) as raw_row_id,
        coalesce(placements.times_placed, 0) as times_placed,
        landed.raw_row_id is not null as was_landed
    from landed
    full outer join placements
        on landed.raw_row_id = placements.raw_row_id
    where landed.raw_row_id is null or coalesce(placements.times_placed, 0) != 1
)

select * from final
