-- As many landed event rows as rows in fct_events and the quarantine together: one row when the totals
-- differ. With assert_landed_events_are_conserved, which may look only at the rows in play of a daily
-- build, it proves every landed row is placed exactly once.

with

landed as (
    select count(*) as landed_rows from {{ ref('stg_landing__events') }}
),

valid as (
    select count(*) as valid_rows from {{ ref('fct_events') }}
),

quarantined as (
    select count(*) as quarantined_rows from {{ ref('fct_event_contract_violations') }}
),

final as (
    select
        landed.landed_rows,
        valid.valid_rows,
        quarantined.quarantined_rows
    from landed
    cross join valid
    cross join quarantined
    where landed.landed_rows != valid.valid_rows + quarantined.quarantined_rows
)

select * from final
