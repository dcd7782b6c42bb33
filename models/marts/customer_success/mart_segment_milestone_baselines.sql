-- Per segment and milestone: how many accounts reached it and how fast, beside the seeded target.

with

baselines as (
    select * from {{ ref('int_segment_milestone_baselines') }}
),

final as (
    select
        segment,
        milestone_id,
        sequence,
        milestone_name,
        accounts_total,
        accounts_reached,
        completion_rate,
        accounts_timed,
        median_days_from_previous,
        p75_days_from_previous,
        target_days,
        stall_threshold_days,
        stall_threshold_source
    from baselines
)

select * from final
