-- How well each score, computed some days before each renewal (segment_settings, else var
-- backtest_days_before_renewal) from what was known then, told renewals from churns: per segment
-- (and `all`), renewal scope (all, first, later renewals) and score, the AUC - the chance that a
-- renewed account scored above a churned one, ties counting half (0.5 = no better than a coin) -
-- from the Mann-Whitney rank sum with mid-ranks for ties, its Hanley-McNeil standard error and
-- confidence interval, the mean score of each outcome, and the stratified AUC: pairs compared
-- within one segment and renewal scope only, so a pooled scope gets no credit for telling segments
-- or first renewals from later ones.

with

observations as (
    select * from {{ ref('int_health__backtest_observations') }}
),

ranked as (
    select
        observations.*,
        rank() over (partition by segment, renewal_scope, score_name order by score_value) as lowest_rank,
        count(*) over (partition by segment, renewal_scope, score_name, score_value) as tied_observations
    from observations
),

mid_ranked as (
    select
        ranked.*,
        -- tied scores share the mean of the ranks they span
        cast(lowest_rank as {{ type_double() }}) + (tied_observations - 1) / 2.0 as mid_rank
    from ranked
),

summaries as (
    select
        segment,
        renewal_scope,
        score_name,
        count(*) as renewals_scored,
        count(case when not is_churned then 1 end) as renewed,
        count(case when is_churned then 1 end) as churned,
        min(days_before_renewal) as min_days_before_renewal,
        max(days_before_renewal) as max_days_before_renewal,
        sum(case when not is_churned then mid_rank else 0 end) as renewed_rank_sum,
        avg(case when not is_churned then score_value end) as mean_score_renewed,
        avg(case when is_churned then score_value end) as mean_score_churned
    from mid_ranked
    group by 1, 2, 3
),

with_auc as (
    select
        summaries.*,
        case
            when renewed > 0 and churned > 0
                then (renewed_rank_sum - renewed * (renewed + 1) / 2.0)
                    / (cast(renewed as {{ type_double() }}) * churned)
        end as auc
    from summaries
),

-- the finest scopes: one segment, first or later renewals
strata as (
    select
        segment,
        renewal_scope,
        score_name,
        renewed_rank_sum - renewed * (renewed + 1) / 2.0 as renewed_wins,
        cast(renewed as {{ type_double() }}) * churned as pairs
    from with_auc
    where segment != 'all' and renewal_scope != 'all_renewals'
),

-- the AUC over the pairs of a renewed and a churned renewal of the same stratum only: what is left
-- when a score gets no credit for telling segments or first renewals from later ones
stratified as (
    select
        with_auc.segment,
        with_auc.renewal_scope,
        with_auc.score_name,
        {{ safe_divide('sum(strata.renewed_wins)', 'sum(strata.pairs)') }} as stratified_auc
    from with_auc
    inner join strata
        on
            with_auc.score_name = strata.score_name
            and (with_auc.segment = 'all' or with_auc.segment = strata.segment)
            and (with_auc.renewal_scope = 'all_renewals' or with_auc.renewal_scope = strata.renewal_scope)
    group by 1, 2, 3
),

with_standard_error as (
    select
        with_auc.*,
        stratified.stratified_auc,
        {{ auc_standard_error('with_auc.auc', 'with_auc.renewed', 'with_auc.churned') }} as auc_standard_error
    from with_auc
    left join stratified
        on
            with_auc.segment = stratified.segment
            and with_auc.renewal_scope = stratified.renewal_scope
            and with_auc.score_name = stratified.score_name
),

final as (
    select
        segment,
        renewal_scope,
        score_name,
        -- one lead time per segment; `all` mixes segments, and says so with a null when they differ
        cast(
            case when min_days_before_renewal = max_days_before_renewal then min_days_before_renewal end
            as {{ dbt.type_int() }}
        ) as days_before_renewal,
        renewals_scored,
        renewed,
        churned,
        {{ round_double(safe_divide('churned', 'renewals_scored'), 6) }} as churn_rate,
        {{ round_double('mean_score_renewed', 6) }} as mean_score_renewed,
        {{ round_double('mean_score_churned', 6) }} as mean_score_churned,
        {{ round_double('auc', 6) }} as auc,
        {{ round_double('auc_standard_error', 6) }} as auc_standard_error,
        {{ round_double('auc - ' ~ var('stats_confidence_z') ~ ' * auc_standard_error', 6) }} as auc_ci_lower,
        {{ round_double('auc + ' ~ var('stats_confidence_z') ~ ' * auc_standard_error', 6) }} as auc_ci_upper,
        {{ round_double(
            "auc - max(case when score_name = 'engagement' then auc end)"
            ~ " over (partition by segment, renewal_scope)",
            6
        ) }} as auc_minus_engagement_auc,
        {{ round_double('stratified_auc', 6) }} as stratified_auc,
        {{ round_double(
            "stratified_auc - max(case when score_name = 'engagement' then stratified_auc end)"
            ~ " over (partition by segment, renewal_scope)",
            6
        ) }} as stratified_auc_minus_engagement_auc,
        coalesce(
            stratified_auc = max(stratified_auc) over (partition by segment, renewal_scope), false
        ) as is_best_score_of_scope
    from with_standard_error
)

select * from final
