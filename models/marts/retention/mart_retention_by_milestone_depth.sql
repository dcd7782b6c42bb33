-- Renewal and expansion by milestone depth: per segment and number of milestones completed by the
-- renewal date, how many renewals there were, how many renewed, churned and expanded (renewed with
-- arr_after > arr_before), the rates, and each rate against the segment's (lift).

with

renewal_depths as (
    select * from {{ ref('int_retention__renewal_milestone_depth') }}
),

segment_totals as (
    select
        segment,
        count(*) as segment_renewals,
        count(case when not is_churned then 1 end) as segment_renewed,
        count(case when is_expansion then 1 end) as segment_expanded
    from renewal_depths
    group by 1
),

depths as (
    select
        segment,
        milestones_completed,
        max(milestones_total) as milestones_total,
        count(*) as renewals,
        count(distinct account_id) as accounts,
        count(case when not is_churned then 1 end) as renewed,
        count(case when is_churned then 1 end) as churned,
        count(case when is_expansion then 1 end) as expanded
    from renewal_depths
    group by 1, 2
),

final as (
    select
        depths.segment,
        cast(depths.milestones_completed as {{ dbt.type_int() }}) as milestones_completed,
        cast(depths.milestones_total as {{ dbt.type_int() }}) as milestones_total,
        depths.renewals,
        depths.accounts,
        depths.renewed,
        depths.churned,
        depths.expanded,
        {{ round_double(safe_divide('depths.renewed', 'depths.renewals'), 6) }} as renewal_rate,
        {{ round_double(safe_divide('depths.expanded', 'depths.renewals'), 6) }} as expansion_rate,
        {{ round_double(safe_divide(
            safe_divide('depths.renewed', 'depths.renewals'),
            safe_divide('segment_totals.segment_renewed', 'segment_totals.segment_renewals')
        ), 6) }} as renewal_lift,
        {{ round_double(safe_divide(
            safe_divide('depths.expanded', 'depths.renewals'),
            safe_divide('segment_totals.segment_expanded', 'segment_totals.segment_renewals')
        ), 6) }} as expansion_lift
    from depths
    inner join segment_totals
        on depths.segment = segment_totals.segment
)

select * from final
