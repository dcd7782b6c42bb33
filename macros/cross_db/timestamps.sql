{% macro parse_utc_timestamp(text_expr) %}
    {#- An ISO 8601 text to a UTC timestamp without time zone; unreadable text gives null.
        No offset means UTC (the DuckDB profile and the Postgres function pin the session zone). -#}
    {{ return(adapter.dispatch('parse_utc_timestamp', 'milestone_warehouse')(text_expr)) }}
{% endmacro %}

{% macro default__parse_utc_timestamp(text_expr) %}
    {{ exceptions.raise_compiler_error("parse_utc_timestamp is not implemented for adapter " ~ adapter.type()) }}
{% endmacro %}

{% macro duckdb__parse_utc_timestamp(text_expr) %}
    -- a plain cast to timestamp would drop the offset instead of applying it
    timezone('UTC', try_cast({{ text_expr }} as timestamptz))
{% endmacro %}

{% macro spark__parse_utc_timestamp(text_expr) %}
    -- the profile pins the session zone to UTC; an offset in the text is applied
    try_to_timestamp({{ text_expr }})
{% endmacro %}

{% macro postgres__parse_utc_timestamp(text_expr) %}
    ({{ target.schema }}.try_timestamptz({{ text_expr }}) at time zone 'UTC')
{% endmacro %}


{% macro as_of_date() %}
    {#- "Today" as a date literal: var as_of_date, else the environment variable MILESTONES_AS_OF_DATE
        (what `milestones build --as-of` sets), else the current UTC date (docs/rules.md §2). The
        environment is read only when executing: dbt then never parses the project again because the
        day changed (it does for a changed var). -#}
    {%- set configured = var('as_of_date', '') -%}
    {%- if not configured and execute -%}
        {%- set configured = env_var('MILESTONES_AS_OF_DATE', '') -%}
    {%- endif -%}
    {%- if configured -%}
        {%- set today = modules.datetime.date.fromisoformat(configured | string) -%}
    {%- else -%}
        {%- set today = modules.datetime.datetime.utcnow().date() -%}
    {%- endif -%}
    cast('{{ today.isoformat() }}' as date)
{% endmacro %}


{% macro days_between(start_expr, end_expr) %}
    {#- Whole UTC days: the difference of the two UTC dates. -#}
    {{ dbt.datediff('cast(' ~ start_expr ~ ' as date)', 'cast(' ~ end_expr ~ ' as date)', 'day') }}
{% endmacro %}
