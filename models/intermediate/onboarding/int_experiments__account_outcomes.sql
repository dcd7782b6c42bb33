-- One row per experiment of the experiments seed and account assigned to it (the latest landed
-- assignment wins), measured on the experiment's target milestone from the moment the account could
-- first benefit: the later of its assignment and the milestone's clock start (the previous-sequence
-- milestone's completion, signup for sequence 1), so that the time spent on earlier milestones does
-- not blur the effect on the blocker. An account is exposed once that moment has come, unless it had
-- completed the milestone before its assignment; it is observed once window_days have passed since.
-- Only the assignments the landing check uses count (a known experiment, an account of its segment:
-- int_experiment_assignments__landing_checked).

with

assignments as (
    select * from {{ ref('int_experiment_assignments__landing_checked') }}
    where is_used
),

experiments as (
    select * from {{ ref('experiments') }}
),

accounts as (
    select * from {{ ref('int_accounts__current') }}
),

progress as (
    select * from {{ ref('int_account_milestone_progress') }}
),

latest_assignments as (
    select
        assignments.*,
        row_number() over (
            partition by assignments.experiment_id, assignments.account_id
            order by assignments.load_id desc, assignments.file_row_number desc
        ) as version_number
    from assignments
    where cast(assignments.assigned_at as date) <= {{ as_of_date() }}
),

targeted as (
    select
        latest_assignments.experiment_id,
        latest_assignments.account_id,
        accounts.segment,
        latest_assignments.variant,
        latest_assignments.variant = experiments.control_variant as is_control,
        latest_assignments.assigned_at,
        experiments.target_milestone_id,
        experiments.window_days,
        progress.clock_started_at,
        progress.completed_at as target_completed_at,
        case
            when progress.clock_started_at is null then null
            when progress.clock_started_at > latest_assignments.assigned_at then progress.clock_started_at
            else latest_assignments.assigned_at
        end as exposed_at
    from latest_assignments
    inner join experiments
        on latest_assignments.experiment_id = experiments.experiment_id
    inner join accounts
        on
            latest_assignments.account_id = accounts.account_id
            and experiments.segment = accounts.segment
    inner join progress
        on
            latest_assignments.account_id = progress.account_id
            and experiments.target_milestone_id = progress.milestone_id
    where latest_assignments.version_number = 1
),

final as (
    select
        experiment_id,
        account_id,
        segment,
        variant,
        is_control,
        assigned_at,
        target_milestone_id,
        clock_started_at,
        exposed_at,
        target_completed_at,
        coalesce(
            exposed_at is not null and (target_completed_at is null or target_completed_at >= assigned_at),
            false
        ) as is_exposed,
        cast({{ days_between('exposed_at', 'target_completed_at') }} as {{ dbt.type_int() }}) as days_to_target,
        coalesce(
            exposed_at is not null
            and (target_completed_at is null or target_completed_at >= assigned_at)
            and {{ days_between('exposed_at', as_of_date()) }} >= window_days,
            false
        ) as is_observed_for_window,
        coalesce({{ days_between('exposed_at', 'target_completed_at') }} <= window_days, false)
            as is_completed_in_window
    from targeted
)

select * from final
