-- The retention analysis run backward (docs/rules.md §6): per segment, for each event at each
-- occurrence threshold (var candidate_occurrence_thresholds) within the first var
-- candidate_window_days after signup, the share of retained and of churned accounts that did it,
-- lift, difference, a two-proportion z-score and a rank. The cohort is the accounts with a known
-- renewal outcome; events count until the first renewal date at the latest (see
-- int_retention__early_event_counts). Rows backed by too few accounts (vars candidate_min_accounts,
-- candidate_min_share) are kept but not ranked.

with

outcomes as (
    select * from {{ ref('int_retention__account_outcomes') }}
),

early_event_counts as (
    select * from {{ ref('int_retention__early_event_counts') }}
),

thresholds as (
    {%- for threshold in var('candidate_occurrence_thresholds') %}
    select cast({{ threshold }} as {{ dbt.type_int() }}) as occurrence_threshold
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- every account of the cohort has a renewal on or before the as-of date, so its window (which ends
-- at the first renewal at the latest) is complete
cohort as (
    select * from outcomes
),

cohort_sizes as (
    select
        segment,
        count(*) as cohort_accounts,
        count(case when not is_churned then 1 end) as retained_accounts,
        count(case when is_churned then 1 end) as churned_accounts
    from cohort
    group by 1
),

cohort_event_counts as (
    select
        early_event_counts.segment,
        early_event_counts.event_name,
        early_event_counts.event_count,
        cohort.is_churned
    from early_event_counts
    inner join cohort
        on early_event_counts.account_id = cohort.account_id
),

-- every event that some account of the segment's cohort did in its window
segment_events as (
    select distinct
        segment,
        event_name
    from cohort_event_counts
),

candidates as (
    select
        segment_events.segment,
        segment_events.event_name,
        thresholds.occurrence_threshold
    from segment_events
    cross join thresholds
),

doers as (
    select
        candidates.segment,
        candidates.event_name,
        candidates.occurrence_threshold,
        count(case when not cohort_event_counts.is_churned then 1 end) as retained_accounts_did,
        count(case when cohort_event_counts.is_churned then 1 end) as churned_accounts_did
    from candidates
    left join cohort_event_counts
        on
            candidates.segment = cohort_event_counts.segment
            and candidates.event_name = cohort_event_counts.event_name
            and candidates.occurrence_threshold <= cohort_event_counts.event_count
    group by 1, 2, 3
),

measured as (
    select
        doers.segment,
        doers.event_name,
        doers.occurrence_threshold,
        cohort_sizes.cohort_accounts,
        cohort_sizes.retained_accounts,
        cohort_sizes.churned_accounts,
        doers.retained_accounts_did,
        doers.churned_accounts_did,
        doers.retained_accounts_did + doers.churned_accounts_did as accounts_did,
        {{ safe_divide('doers.retained_accounts_did', 'cohort_sizes.retained_accounts') }} as share_retained,
        {{ safe_divide('doers.churned_accounts_did', 'cohort_sizes.churned_accounts') }} as share_churned,
        {{ safe_divide('doers.retained_accounts_did + doers.churned_accounts_did', 'cohort_sizes.cohort_accounts') }}
            as share_of_cohort,
        {{ two_proportion_z_score(
            'doers.retained_accounts_did', 'cohort_sizes.retained_accounts',
            'doers.churned_accounts_did', 'cohort_sizes.churned_accounts'
        ) }} as z_score
    from doers
    inner join cohort_sizes
        on doers.segment = cohort_sizes.segment
),

judged as (
    select
        measured.*,
        share_retained - share_churned as difference,
        {{ safe_divide('share_retained', 'share_churned') }} as lift,
        coalesce(
            accounts_did >= {{ var('candidate_min_accounts') }}
            and retained_accounts >= {{ var('candidate_min_accounts') }}
            and churned_accounts >= {{ var('candidate_min_accounts') }}
            and share_of_cohort >= {{ var('candidate_min_share') }}
            and z_score is not null,
            false
        ) as is_rankable
    from measured
),

ranked as (
    select
        judged.*,
        case
            when is_rankable
                then cast(row_number() over (
                        partition by segment, is_rankable
                        order by z_score desc, difference desc, event_name asc, occurrence_threshold asc
                    ) as bigint)
        end as candidate_rank
    from judged
),

final as (
    select
        segment,
        event_name,
        occurrence_threshold,
        cast({{ var('candidate_window_days') }} as {{ dbt.type_int() }}) as window_days,
        cohort_accounts,
        retained_accounts,
        churned_accounts,
        accounts_did,
        retained_accounts_did,
        churned_accounts_did,
        {{ round_double('share_retained', 6) }} as share_retained,
        {{ round_double('share_churned', 6) }} as share_churned,
        {{ round_double('share_of_cohort', 6) }} as share_of_cohort,
        {{ round_double('lift', 6) }} as lift,
        {{ round_double('difference', 6) }} as difference,
        {{ round_double('z_score', 6) }} as z_score,
        is_rankable,
        candidate_rank,
        coalesce(
            candidate_rank = min(candidate_rank) over (partition by segment, event_name),
            false
        ) as is_best_threshold_of_event
    from ranked
)

select * from final
