{% macro tested_since_load_id() %}
    {#- The newest load the last green build had checked, when this run's data tests over the event
        tables need only look at the rows written since; none (every row is tested) on a full refresh
        and whenever `milestones build` did not say so (MILESTONES_TESTED_SINCE_LOAD_ID): a first
        build, changed project files, dbt run by hand or from Dagster since the last green build
        (docs/orchestration.md, "Tests of what the build wrote"). Read only when executing, like the
        as-of date, so dbt's partial parse never depends on it. -#}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set since = env_var('MILESTONES_TESTED_SINCE_LOAD_ID', '') -%}
    {{ return(since | int if since else none) }}
{% endmacro %}
