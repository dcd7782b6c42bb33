-- Every path through the dependency graph that starts at a milestone (the milestone alone is the
-- shortest), one row per path and milestone on it. Completion is computed over these paths: see
-- int_account_milestone_completions. Seed-sized: it never touches events.

with recursive

dependencies as (
    select * from {{ ref('int_milestone_dependencies') }}
),

milestones as (
    select * from {{ ref('milestones') }}
),

paths (segment, start_milestone_id, end_milestone_id, path_key, path_length) as (
    select
        segment,
        milestone_id as start_milestone_id,
        milestone_id as end_milestone_id,
        '>' || milestone_id || '>' as path_key,
        1 as path_length
    from milestones

    union all

    select
        paths.segment,
        paths.start_milestone_id,
        dependencies.depends_on_milestone_id as end_milestone_id,
        paths.path_key || dependencies.depends_on_milestone_id || '>' as path_key,
        paths.path_length + 1 as path_length
    from paths
    inner join dependencies
        on
            paths.segment = dependencies.segment
            and paths.end_milestone_id = dependencies.milestone_id
    -- dependencies point to lower sequences, so paths end; the bound only guards a broken seed
    where paths.path_length < 100
),

-- a path's milestones are the ends of its prefixes
final as (
    select
        paths.segment,
        paths.start_milestone_id,
        paths.path_key,
        paths.end_milestone_id,
        prefixes.end_milestone_id as node_milestone_id
    from paths
    inner join paths as prefixes
        on
            paths.segment = prefixes.segment
            and paths.start_milestone_id = prefixes.start_milestone_id
            and {{ dbt.position('prefixes.path_key', 'paths.path_key') }} = 1
)

select * from final
