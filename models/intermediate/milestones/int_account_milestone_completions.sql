-- When each account completed each milestone of its segment, as of the as-of date.
--
-- completed_at(M) = earliest of the CSM override of M and M's product completion, where product
-- completion = the latest of M's criteria met-at and the completed_at of each milestone M depends on
-- (docs/rules.md §6). That definition recurses through depends_on; it is computed without recursion
-- over accounts, from the seed-sized list of dependency paths: M is still incomplete at time t
-- exactly when some path M -> ... -> X has no override on or before t and X's criteria are not all
-- met by t. So completed_at(M) = the latest, over the paths from M, of the earliest of the
-- overrides on the path and the end's criteria met-at.

with

accounts as (
    select * from {{ ref('int_accounts__current') }}
    where cast(signed_up_at as date) <= {{ as_of_date() }}
),

definitions as (
    select * from {{ ref('int_milestone_definitions') }}
),

criteria as (
    select * from {{ ref('int_milestone_criteria') }}
),

-- criteria met on or before the as-of date (the met-at itself does not depend on the date)
criteria_met as (
    select * from {{ ref('int_account_criteria_met') }}
    where cast(met_at as date) <= {{ as_of_date() }}
),

dependencies as (
    select * from {{ ref('int_milestone_dependencies') }}
),

dependency_paths as (
    select * from {{ ref('int_milestone_dependency_paths') }}
),

overrides as (
    select * from {{ ref('int_milestone_overrides__valid') }}
    where cast(completed_at as date) <= {{ as_of_date() }}
),

account_milestones as (
    select
        accounts.account_id,
        accounts.segment,
        accounts.signed_up_at,
        definitions.milestone_id,
        definitions.sequence,
        definitions.previous_milestone_id
    from accounts
    inner join definitions
        on accounts.segment = definitions.segment
),

criteria_counts as (
    select
        segment,
        milestone_id,
        count(*) as criteria_count
    from criteria
    group by 1, 2
),

-- all criteria met: the latest of their met-at; otherwise not met
criteria_completions as (
    select
        account_milestones.account_id,
        account_milestones.milestone_id,
        case
            when count(criteria_met.met_at) = max(criteria_counts.criteria_count)
                then max(criteria_met.met_at)
        end as criteria_met_at
    from account_milestones
    inner join criteria_counts
        on
            account_milestones.segment = criteria_counts.segment
            and account_milestones.milestone_id = criteria_counts.milestone_id
    left join criteria_met
        on
            account_milestones.account_id = criteria_met.account_id
            and account_milestones.milestone_id = criteria_met.milestone_id
    group by 1, 2
),

earliest_overrides as (
    select
        account_id,
        milestone_id,
        min(completed_at) as overridden_at
    from overrides
    group by 1, 2
),

-- the earliest override anywhere on each path (only accounts with overrides have rows)
path_overrides as (
    select
        earliest_overrides.account_id,
        dependency_paths.segment,
        dependency_paths.path_key,
        min(earliest_overrides.overridden_at) as earliest_override_on_path_at
    from earliest_overrides
    inner join accounts
        on earliest_overrides.account_id = accounts.account_id
    inner join dependency_paths
        on
            accounts.segment = dependency_paths.segment
            and earliest_overrides.milestone_id = dependency_paths.node_milestone_id
    group by 1, 2, 3
),

paths as (
    select distinct
        segment,
        start_milestone_id,
        path_key,
        end_milestone_id
    from dependency_paths
),

-- how long each path keeps its start milestone incomplete ('9999-12-31': for ever)
path_blocks as (
    select
        accounts.account_id,
        paths.start_milestone_id as milestone_id,
        least(
            coalesce(path_overrides.earliest_override_on_path_at, {{ far_future() }}),
            coalesce(criteria_completions.criteria_met_at, {{ far_future() }})
        ) as blocked_until
    from accounts
    inner join paths
        on accounts.segment = paths.segment
    left join criteria_completions
        on
            accounts.account_id = criteria_completions.account_id
            and paths.end_milestone_id = criteria_completions.milestone_id
    left join path_overrides
        on
            accounts.account_id = path_overrides.account_id
            and paths.segment = path_overrides.segment
            and paths.path_key = path_overrides.path_key
),

completions as (
    select
        account_id,
        milestone_id,
        nullif(max(blocked_until), {{ far_future() }}) as completed_at
    from path_blocks
    group by 1, 2
),

-- product completion needs the milestone's criteria and each prerequisite's completion
prerequisite_completions as (
    select
        account_milestones.account_id,
        account_milestones.milestone_id,
        count(*) as prerequisite_count,
        count(completions.completed_at) as completed_prerequisite_count,
        max(completions.completed_at) as latest_prerequisite_completed_at
    from account_milestones
    inner join dependencies
        on
            account_milestones.segment = dependencies.segment
            and account_milestones.milestone_id = dependencies.milestone_id
    left join completions
        on
            account_milestones.account_id = completions.account_id
            and dependencies.depends_on_milestone_id = completions.milestone_id
    group by 1, 2
),

combined as (
    select
        account_milestones.*,
        criteria_completions.criteria_met_at,
        earliest_overrides.overridden_at,
        case
            when criteria_completions.criteria_met_at is null then null
            when prerequisite_completions.account_id is null then criteria_completions.criteria_met_at
            when prerequisite_completions.completed_prerequisite_count < prerequisite_completions.prerequisite_count
                then null
            else greatest(
                    criteria_completions.criteria_met_at,
                    prerequisite_completions.latest_prerequisite_completed_at
                )
        end as product_completed_at,
        completions.completed_at
    from account_milestones
    left join criteria_completions
        on
            account_milestones.account_id = criteria_completions.account_id
            and account_milestones.milestone_id = criteria_completions.milestone_id
    left join earliest_overrides
        on
            account_milestones.account_id = earliest_overrides.account_id
            and account_milestones.milestone_id = earliest_overrides.milestone_id
    left join prerequisite_completions
        on
            account_milestones.account_id = prerequisite_completions.account_id
            and account_milestones.milestone_id = prerequisite_completions.milestone_id
    left join completions
        on
            account_milestones.account_id = completions.account_id
            and account_milestones.milestone_id = completions.milestone_id
),

final as (
    select
        account_id,
        segment,
        signed_up_at,
        milestone_id,
        sequence,
        previous_milestone_id,
        criteria_met_at,
        product_completed_at,
        overridden_at,
        completed_at,
        case
            when completed_at is null then null
            -- a tie goes to the product: the evidence is in the events
            when product_completed_at is not null and product_completed_at <= completed_at then 'product'
            else 'csm'
        end as completion_source
    from combined
)

select * from final
