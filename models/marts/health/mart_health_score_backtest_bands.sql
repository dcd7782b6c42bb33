-- Lift by band: per segment (and `all`), renewal scope, score and band of the health_score_bands
-- seed, the renewals scored into the band before the renewal (see int_health__scoring_points),
-- how many churned, renewed and expanded, and the band's churn rate against the scope's (churn_lift
-- 2 = the band churns twice as often as its scope). Empty bands are listed with zeros.

with

observations as (
    select * from {{ ref('int_health__backtest_observations') }}
),

bands as (
    -- the seed's well-formed bands, or the default bands when it has none (docs/rules.md §4)
    {{ health_score_bands_in_force() }}
),

scopes as (
    select
        segment,
        renewal_scope,
        score_name,
        count(*) as scope_renewals,
        count(case when is_churned then 1 end) as scope_churned,
        count(case when not is_churned then 1 end) as scope_renewed
    from observations
    group by 1, 2, 3
),

band_counts as (
    select
        segment,
        renewal_scope,
        score_name,
        band,
        count(*) as renewals_scored,
        count(case when is_churned then 1 end) as churned,
        count(case when not is_churned then 1 end) as renewed,
        count(case when is_expansion then 1 end) as expanded
    from observations
    group by 1, 2, 3, 4
),

scope_bands as (
    select
        scopes.*,
        bands.band,
        bands.band_order,
        bands.min_score
    from scopes
    cross join bands
),

final as (
    select
        scope_bands.segment,
        scope_bands.renewal_scope,
        scope_bands.score_name,
        scope_bands.band,
        cast(scope_bands.band_order as {{ dbt.type_int() }}) as band_order,
        cast(scope_bands.min_score as {{ type_double() }}) as min_score,
        coalesce(band_counts.renewals_scored, 0) as renewals_scored,
        coalesce(band_counts.churned, 0) as churned,
        coalesce(band_counts.renewed, 0) as renewed,
        coalesce(band_counts.expanded, 0) as expanded,
        {{ round_double(safe_divide('coalesce(band_counts.renewals_scored, 0)', 'scope_bands.scope_renewals'), 6) }}
            as share_of_renewals,
        {{ round_double(safe_divide('band_counts.churned', 'band_counts.renewals_scored'), 6) }} as churn_rate,
        {{ round_double(safe_divide('band_counts.expanded', 'band_counts.renewals_scored'), 6) }} as expansion_rate,
        {{ round_double(safe_divide('scope_bands.scope_churned', 'scope_bands.scope_renewals'), 6) }}
            as scope_churn_rate,
        {{ round_double(safe_divide(
            safe_divide('band_counts.churned', 'band_counts.renewals_scored'),
            safe_divide('scope_bands.scope_churned', 'scope_bands.scope_renewals')
        ), 6) }} as churn_lift,
        {{ round_double(safe_divide(
            safe_divide('band_counts.renewed', 'band_counts.renewals_scored'),
            safe_divide('scope_bands.scope_renewed', 'scope_bands.scope_renewals')
        ), 6) }} as renewal_lift
    from scope_bands
    left join band_counts
        on
            scope_bands.segment = band_counts.segment
            and scope_bands.renewal_scope = band_counts.renewal_scope
            and scope_bands.score_name = band_counts.score_name
            and scope_bands.band = band_counts.band
)

select * from final
