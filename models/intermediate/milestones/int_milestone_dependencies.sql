-- One row per milestone and each milestone it depends on. The `|`-separated list is matched by
-- joining the segment's milestone ids into it, so that no warehouse-specific split is needed.

with

milestones as (
    select * from {{ ref('milestones') }}
),

final as (
    select
        milestones.segment,
        milestones.milestone_id,
        milestones.sequence,
        prerequisites.milestone_id as depends_on_milestone_id,
        prerequisites.sequence as depends_on_sequence
    from milestones
    inner join milestones as prerequisites
        on
            milestones.segment = prerequisites.segment
            and {{ dbt.position(
                "'|' || prerequisites.milestone_id || '|'",
                "'|' || replace(milestones.depends_on, ' ', '') || '|'"
            ) }} > 0
    where milestones.depends_on is not null
)

select * from final
