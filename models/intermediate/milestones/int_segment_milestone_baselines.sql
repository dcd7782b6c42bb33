-- Observed velocity per segment and milestone, from the accounts that completed it: the peers'
-- baseline that stall detection may use instead of the seeded target (see segment_settings).

with

progress as (
    select * from {{ ref('int_account_milestone_progress') }}
),

definitions as (
    select * from {{ ref('int_milestone_definitions') }}
),

observed as (
    select
        segment,
        milestone_id,
        count(*) as accounts_total,
        count(completed_at) as accounts_reached,
        count(days_from_previous) as accounts_timed,
        -- completed before the previous milestone: took no time after it; incomplete (null) is left out
        cast(
            {{ percentile_cont('case when days_from_previous < 0 then 0 else days_from_previous end', 0.5) }}
            as {{ type_double() }}
        ) as median_days_from_previous,
        cast(
            {{ percentile_cont('case when days_from_previous < 0 then 0 else days_from_previous end', 0.75) }}
            as {{ type_double() }}
        ) as p75_days_from_previous
    from progress
    group by 1, 2
),

final as (
    select
        definitions.segment,
        definitions.milestone_id,
        definitions.sequence,
        definitions.milestone_name,
        definitions.target_days,
        definitions.stall_baseline,
        definitions.min_peer_completions,
        coalesce(observed.accounts_total, 0) as accounts_total,
        coalesce(observed.accounts_reached, 0) as accounts_reached,
        coalesce(observed.accounts_timed, 0) as accounts_timed,
        case
            when observed.accounts_total > 0
                then cast(observed.accounts_reached as {{ type_double() }}) / observed.accounts_total
        end as completion_rate,
        observed.median_days_from_previous,
        observed.p75_days_from_previous,
        -- the peers' p75, rounded up to whole days, once enough peers completed the milestone
        case
            when
                definitions.stall_baseline = 'peer_p75'
                and coalesce(observed.accounts_timed, 0) >= definitions.min_peer_completions
                and observed.p75_days_from_previous is not null
                then 'peer_p75'
            else 'target_days'
        end as stall_threshold_source,
        case
            when
                definitions.stall_baseline = 'peer_p75'
                and coalesce(observed.accounts_timed, 0) >= definitions.min_peer_completions
                and observed.p75_days_from_previous is not null
                then cast(ceil(observed.p75_days_from_previous) as integer)
            else definitions.target_days
        end as stall_threshold_days
    from definitions
    left join observed
        on
            definitions.segment = observed.segment
            and definitions.milestone_id = observed.milestone_id
)

select * from final
