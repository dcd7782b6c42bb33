-- The conservation law of the landing files other than events (docs/rules.md §3): every landed row of
-- accounts, renewals, milestone overrides and experiment assignments is either used by the models
-- or in the quarantine, never both, never neither. Returns, per file kind, the counts when they differ.

{%- set kinds = {
    'accounts': 'int_accounts__landing_checked',
    'renewals': 'int_renewals__landing_checked',
    'milestone_overrides': 'int_milestone_overrides__landing_checked',
    'experiment_assignments': 'int_experiment_assignments__landing_checked',
} %}

with

landed as (
    {% for kind in kinds %}
    select
        '{{ kind }}' as file_kind,
        raw_row_id
    from {{ ref('stg_landing__' ~ kind) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

used as (
    {% for kind, checked_model in kinds.items() %}
    select
        file_kind,
        raw_row_id
    from {{ ref(checked_model) }}
    where is_used
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

quarantined as (
    select
        file_kind,
        raw_row_id
    from {{ ref('fct_landing_row_violations') }}
    where is_quarantined
),

landed_counts as (
    select
        file_kind,
        count(*) as landed_rows,
        count(distinct raw_row_id) as distinct_landed_rows
    from landed
    group by 1
),

used_counts as (
    select
        file_kind,
        count(*) as used_rows
    from used
    group by 1
),

quarantined_counts as (
    select
        file_kind,
        count(*) as quarantined_rows
    from quarantined
    group by 1
),

placed as (
    select
        file_kind,
        raw_row_id
    from used
    union all
    select
        file_kind,
        raw_row_id
    from quarantined
),

-- a row both used and quarantined, or counted twice, breaks the law even when the totals agree
placed_twice as (
    select
        file_kind,
        raw_row_id,
        count(*) as times_placed
    from placed
    group by 1, 2
    having count(*) > 1
),

final as (
    select
        landed_counts.file_kind,
        landed_counts.landed_rows,
        coalesce(used_counts.used_rows, 0) as used_rows,
        coalesce(quarantined_counts.quarantined_rows, 0) as quarantined_rows
    from landed_counts
    left join used_counts
        on landed_counts.file_kind = used_counts.file_kind
    left join quarantined_counts
        on landed_counts.file_kind = quarantined_counts.file_kind
    where
        landed_counts.landed_rows
        != coalesce(used_counts.used_rows, 0) + coalesce(quarantined_counts.quarantined_rows, 0)
        or landed_counts.distinct_landed_rows != landed_counts.landed_rows
        or landed_counts.file_kind in (select placed_twice.file_kind from placed_twice)
)

select * from final
