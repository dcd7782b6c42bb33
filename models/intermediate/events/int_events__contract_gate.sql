-- The contract gate (docs/rules.md §5): one row, the quarantined share of every landed event row and
-- its top reasons. The valid events, the quarantine and the violation rates do not read it, so they
-- are built whatever the share; int_events__valid, which the milestone, health and retention models
-- read, depends on it. When the share is past contract_violation_error_rate the gate's test fails
-- and dbt skips everything downstream of the gate: the milestone tables and delivery.

{{ config(materialized='table') }}

with

checked_events as (
    select * from {{ ref('int_events__contract_checked') }}
),

landed as (
    select
        count(*) as landed_rows,
        count(violation_reason) as quarantined_rows
    from checked_events
),

reasons as (
    select
        violation_reason as reason,
        count(*) as reason_rows
    from checked_events
    where violation_reason is not null
    group by 1
),

ranked_reasons as (
    select
        reason,
        reason_rows,
        row_number() over (order by reason_rows desc, reason asc) as reason_rank
    from reasons
),

top_reasons as (
    select
        {{ dbt.listagg(
            "reason || ' ' || " ~ dbt.cast("reason_rows", dbt.type_string()),
            "', '",
            "order by reason_rank"
        ) }} as top_reasons
    from ranked_reasons
    where reason_rank <= 3
),

final as (
    select
        landed.landed_rows,
        landed.quarantined_rows,
        case
            when landed.landed_rows > 0
                then cast(landed.quarantined_rows as {{ type_double() }}) / landed.landed_rows
            else 0
        end as quarantined_share,
        top_reasons.top_reasons
    from landed
    cross join top_reasons
)

select * from final
