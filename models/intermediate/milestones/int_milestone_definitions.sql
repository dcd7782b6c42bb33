-- The seeded milestones with the previous milestone of their segment (by sequence) beside each.

with

milestones as (
    select * from {{ ref('milestones') }}
),

segment_settings as (
    -- the seed's well-formed rows; a segment without one gets the defaults (docs/rules.md §4)
    {{ segment_settings_in_force() }}
),

final as (
    select
        milestones.segment,
        milestones.milestone_id,
        milestones.sequence,
        milestones.name as milestone_name,
        milestones.description,
        milestones.depends_on,
        milestones.target_days,
        milestones.weight,
        milestones.playbook,
        previous_milestones.milestone_id as previous_milestone_id,
        count(*) over (partition by milestones.segment) as segment_milestone_count,
        coalesce(segment_settings.stall_baseline, 'target_days') as stall_baseline,
        coalesce(segment_settings.min_peer_completions, 0) as min_peer_completions
    from milestones
    left join milestones as previous_milestones
        on
            milestones.segment = previous_milestones.segment
            and milestones.sequence - 1 = previous_milestones.sequence
    left join segment_settings
        on milestones.segment = segment_settings.segment
)

select * from final
