{% macro history_days() %}
    {#- The past days `milestones history` fills in this dbt run (docs/history.md): the environment
        variable MILESTONES_HISTORY_DAYS, UTC dates YYYY-MM-DD separated by commas; empty (a build)
        in every other run. An environment variable rather than a dbt var because the command runs
        dbt once per batch of days: a changed var makes dbt parse the whole project again, a changed
        environment variable only the models that read it (int_health__history_points and
        int_accounts__status_history). -#}
    {%- set days = [] -%}
    {%- for text in env_var('MILESTONES_HISTORY_DAYS', '').split(',') -%}
        {%- set day = text | trim -%}
        {%- if day and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', day) -%}
            {{ exceptions.raise_compiler_error("MILESTONES_HISTORY_DAYS: not a YYYY-MM-DD date: " ~ day) }}
        {%- elif day -%}
            {%- do days.append(day) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(days) }}
{% endmacro %}
