-- One row per UTC day from 2000-01-01 to 2050-12-31 (date_spine stops before its end date): the
-- time spine MetricFlow joins metrics to (metric_time, cumulative metrics, offsets). dbt's date_spine
-- goes through the cross-database macros, so it runs unchanged on every warehouse (docs/rules.md §7).

with

days as (
    {{ dbt.date_spine(
        datepart='day',
        start_date="cast('2000-01-01' as date)",
        end_date="cast('2051-01-01' as date)"
    ) }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
