{#-
    dbt's `unique` for the event tables, which a daily build should not read whole: after a green
    build (tested_since_load_id), only the values of the rows written since are counted, each against
    every row. A duplicate needs at least one row written since the last green build, which tested the
    older rows as they still are, so this finds every duplicate the whole scan would.

    A row is written since when its load is newer (`load_id`, for rows that never change once landed)
    or, with `checked_in`, when the contract check (re)checked its `raw_row_id` since (its
    `processed_load_id`).
-#}
{% test unique_in_new_rows(model, column_name, checked_in=none) %}
    {%- set since = tested_since_load_id() %}

with

tested_values as (
    select {{ column_name }} as unique_field
    from {{ model }}
    where
        {{ column_name }} is not null
        {%- if since is not none %}
        and {{ column_name }} in (
            select new_rows.{{ column_name }}
            from {{ model }} as new_rows
            {%- if checked_in is none %}
            where new_rows.load_id > {{ since }}
            {%- else %}
            where new_rows.raw_row_id in (
                select checked.raw_row_id
                from {{ checked_in }} as checked
                where checked.processed_load_id > {{ since }}
            )
            {%- endif %}
        )
        {%- endif %}
)

select
    unique_field,
    count(*) as n_records
from tested_values
group by unique_field
having count(*) > 1

{% endtest %}
