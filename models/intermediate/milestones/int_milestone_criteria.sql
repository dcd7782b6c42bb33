-- The seeded criteria, normalised: one row per criterion, with the pieces the evaluation joins on.

with

criteria as (
    select * from {{ ref('milestone_criteria') }}
),

final as (
    select
        segment,
        milestone_id,
        criterion_id,
        trim(event_name) as event_name,
        nullif(trim(filter_property), '') as filter_property,
        -- padded so that one value is matched whole: '|slack|github|'
        '|' || filter_values || '|' as padded_filter_values,
        lower(trim(measure)) as measure,
        nullif(trim(distinct_property), '') as distinct_property,
        nullif(trim(group_by_property), '') as group_by_property,
        threshold
    from criteria
)

select * from final
