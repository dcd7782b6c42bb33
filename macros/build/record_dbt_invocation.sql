{% macro record_dbt_invocation() %}
    {#- On run end: this run's invocation id, the only row of <schema>_build.dbt_invocations. A green
        `milestones build` records the id of the run that wrote its tables; a later id means another dbt
        run has written them since, so the next build cannot assume they are what it left
        (src/milestones/build/unchanged.py). -#}
    {%- if execute -%}
        {%- set relation = target.schema ~ '_build.dbt_invocations' -%}
        {%- do run_query('create schema if not exists ' ~ target.schema ~ '_build') -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- do run_query(
            'create table ' ~ relation ~ ' as select '
            ~ dbt.string_literal(invocation_id) ~ ' as invocation_id'
        ) -%}
    {%- endif -%}
{% endmacro %}
