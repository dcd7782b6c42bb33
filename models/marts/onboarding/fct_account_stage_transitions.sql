-- Lifecycle stages as the milestones say they happened: one row per account and stage it entered,
-- from the journey_stages seed. A stage without entry milestones is entered at signup; any other when
-- the last of its entry milestones completes. Rows are the account's transitions in time order, so a
-- stage entered before an earlier one of the map (is_out_of_order) shows where the map and the
-- customers part ways.

with

stages as (
    select * from {{ ref('journey_stages') }}
),

definitions as (
    select * from {{ ref('int_milestone_definitions') }}
),

completions as (
    select * from {{ ref('int_account_milestone_completions') }}
),

accounts as (
    select * from {{ ref('int_accounts__current') }}
    where cast(signed_up_at as date) <= {{ as_of_date() }}
),

stage_entry_milestones as (
    select
        stages.segment,
        stages.stage,
        definitions.milestone_id
    from stages
    inner join definitions
        on
            stages.segment = definitions.segment
            and {{ dbt.position(
                "'|' || definitions.milestone_id || '|'",
                "'|' || replace(stages.entry_milestone_ids, ' ', '') || '|'"
            ) }} > 0
),

stage_requirements as (
    select
        segment,
        stage,
        count(*) as entry_milestones
    from stage_entry_milestones
    group by 1, 2
),

stage_progress as (
    select
        completions.account_id,
        stage_entry_milestones.segment,
        stage_entry_milestones.stage,
        count(completions.completed_at) as entry_milestones_completed,
        max(completions.completed_at) as last_entry_milestone_completed_at
    from completions
    inner join stage_entry_milestones
        on
            completions.segment = stage_entry_milestones.segment
            and completions.milestone_id = stage_entry_milestones.milestone_id
    group by 1, 2, 3
),

signup_entries as (
    select
        accounts.account_id,
        accounts.segment,
        stages.stage,
        stages.stage_order,
        accounts.signed_up_at as entered_at
    from accounts
    inner join stages
        on accounts.segment = stages.segment
    where nullif(trim(stages.entry_milestone_ids), '') is null
),

milestone_entries as (
    select
        stage_progress.account_id,
        stage_progress.segment,
        stage_progress.stage,
        stages.stage_order,
        stage_progress.last_entry_milestone_completed_at as entered_at
    from stage_progress
    inner join stage_requirements
        on
            stage_progress.segment = stage_requirements.segment
            and stage_progress.stage = stage_requirements.stage
    inner join stages
        on
            stage_progress.segment = stages.segment
            and stage_progress.stage = stages.stage
    where stage_progress.entry_milestones_completed = stage_requirements.entry_milestones
),

entries as (
    select * from signup_entries
    union all
    select * from milestone_entries
),

sequenced as (
    select
        entries.*,
        row_number() over (partition by account_id order by entered_at, stage_order) as transition_number,
        lag(stage) over (partition by account_id order by entered_at, stage_order) as from_stage,
        lag(stage_order) over (partition by account_id order by entered_at, stage_order) as from_stage_order,
        lag(entered_at) over (partition by account_id order by entered_at, stage_order) as from_stage_entered_at,
        lead(entered_at) over (partition by account_id order by entered_at, stage_order) as exited_at
    from entries
),

final as (
    select
        account_id,
        segment,
        cast(transition_number as {{ dbt.type_int() }}) as transition_number,
        from_stage,
        stage as to_stage,
        cast(from_stage_order as {{ dbt.type_int() }}) as from_stage_order,
        cast(stage_order as {{ dbt.type_int() }}) as to_stage_order,
        entered_at,
        exited_at,
        cast({{ days_between('from_stage_entered_at', 'entered_at') }} as {{ dbt.type_int() }})
            as days_in_previous_stage,
        cast(
            {{ days_between('entered_at', 'coalesce(exited_at, ' ~ as_of_date() ~ ')') }} as {{ dbt.type_int() }}
        ) as days_in_stage,
        coalesce(stage_order < from_stage_order, false) as is_out_of_order,
        cast(
            case when stage_order > from_stage_order + 1 then stage_order - from_stage_order - 1 else 0 end
            as {{ dbt.type_int() }}
        ) as stages_skipped,
        exited_at is null as is_latest_transition
    from sequenced
)

select * from final
