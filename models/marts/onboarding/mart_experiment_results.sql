-- Experiments on milestone blockers: per experiment of the experiments seed and variant, the share
-- of exposed accounts observed for the whole window that completed the target milestone within
-- window_days of exposure (the later of assignment and the milestone's clock start: see
-- int_experiments__account_outcomes), and the median days to it among the exposed accounts that
-- completed it. Each treatment variant is compared with the control: the difference of completion
-- rates with its confidence interval (unpooled standard error, z = var stats_confidence_z), the
-- pooled two-proportion z-score, and a verdict on the seeded hypothesis: supported when the whole
-- interval lies beyond the falsification threshold in the expected direction, falsified when it lies
-- wholly short of it, otherwise (or with fewer than var experiment_min_accounts_per_variant observed
-- accounts in either arm) inconclusive.

with

outcomes as (
    select * from {{ ref('int_experiments__account_outcomes') }}
),

experiments as (
    select * from {{ ref('experiments') }}
),

variants as (
    select
        experiment_id,
        variant,
        {{ dbt.bool_or('is_control') }} as is_control,
        count(*) as assigned_accounts,
        count(case when is_exposed then 1 end) as exposed_accounts,
        count(case when is_observed_for_window then 1 end) as observed_accounts,
        count(case when is_observed_for_window and is_completed_in_window then 1 end) as completed_in_window,
        count(case when is_exposed and target_completed_at is not null then 1 end) as completed_accounts,
        {{ percentile_cont('case when is_exposed then days_to_target end', 0.5) }} as median_days_to_target
    from outcomes
    group by 1, 2
),

controls as (
    select * from variants
    where is_control
),

compared as (
    select
        variants.*,
        controls.variant as control_variant,
        controls.observed_accounts as control_observed_accounts,
        controls.completed_in_window as control_completed_in_window,
        controls.median_days_to_target as control_median_days_to_target,
        experiments.target_milestone_id,
        experiments.window_days,
        experiments.expected_effect,
        experiments.falsification_threshold,
        {{ safe_divide('variants.completed_in_window', 'variants.observed_accounts') }} as completion_rate,
        {{ safe_divide('controls.completed_in_window', 'controls.observed_accounts') }} as control_completion_rate,
        {{ difference_of_proportions_standard_error(
            'variants.completed_in_window', 'variants.observed_accounts',
            'controls.completed_in_window', 'controls.observed_accounts'
        ) }} as difference_standard_error,
        {{ two_proportion_z_score(
            'variants.completed_in_window', 'variants.observed_accounts',
            'controls.completed_in_window', 'controls.observed_accounts'
        ) }} as z_score
    from variants
    inner join experiments
        on variants.experiment_id = experiments.experiment_id
    left join controls
        on variants.experiment_id = controls.experiment_id
),

with_interval as (
    select
        compared.*,
        case when not is_control then completion_rate - control_completion_rate end as difference,
        case
            when not is_control
                then completion_rate - control_completion_rate
                    - {{ var('stats_confidence_z') }} * difference_standard_error
        end as difference_ci_lower,
        case
            when not is_control
                then completion_rate - control_completion_rate
                    + {{ var('stats_confidence_z') }} * difference_standard_error
        end as difference_ci_upper
    from compared
),

judged as (
    select
        with_interval.*,
        case
            when is_control then null
            when
                difference_ci_lower is null
                or observed_accounts < {{ var('experiment_min_accounts_per_variant') }}
                or control_observed_accounts < {{ var('experiment_min_accounts_per_variant') }}
                then 'inconclusive'
            when expected_effect >= 0 and difference_ci_lower > falsification_threshold then 'supported'
            when expected_effect >= 0 and difference_ci_upper < falsification_threshold then 'falsified'
            when expected_effect < 0 and difference_ci_upper < falsification_threshold then 'supported'
            when expected_effect < 0 and difference_ci_lower > falsification_threshold then 'falsified'
            else 'inconclusive'
        end as verdict
    from with_interval
),

final as (
    select
        experiment_id,
        variant,
        is_control,
        control_variant,
        target_milestone_id,
        cast(window_days as {{ dbt.type_int() }}) as window_days,
        assigned_accounts,
        exposed_accounts,
        observed_accounts,
        completed_in_window,
        {{ round_double('completion_rate', 6) }} as completion_rate,
        completed_accounts,
        {{ round_double('median_days_to_target', 6) }} as median_days_to_target,
        cast(
            case when not is_control then median_days_to_target - control_median_days_to_target end
            as {{ type_double() }}
        ) as median_days_difference,
        {{ round_double('difference', 6) }} as difference,
        {{ round_double('difference_ci_lower', 6) }} as difference_ci_lower,
        {{ round_double('difference_ci_upper', 6) }} as difference_ci_upper,
        {{ round_double('case when not is_control then z_score end', 6) }} as z_score,
        cast(expected_effect as {{ type_double() }}) as expected_effect,
        cast(falsification_threshold as {{ type_double() }}) as falsification_threshold,
        coalesce(
            not is_control
            and (
                (expected_effect >= 0 and difference >= expected_effect)
                or (expected_effect < 0 and difference <= expected_effect)
            ),
            false
        ) as is_expected_effect_reached,
        verdict
    from judged
)

select * from final
