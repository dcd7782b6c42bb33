{#- The CRM snapshot on Spark's plain Parquet tables (docs/rules.md §6, §7). dbt-spark's snapshot
    merges into the table, which needs Delta, Iceberg or Hudi; this one gives the same versions by
    rewriting the table: its rows, each current version that the new data ends getting its
    dbt_valid_to, and the new versions (deletion records included) added. The snapshot is small (a
    version per account and change), so a rewrite costs little. The staging rows and change types are
    dbt's own (snapshot_staging_table), so the versions are those of the merge elsewhere. -#}

{% materialization snapshot, adapter='spark' %}
    {%- set target_relation_exists, target_relation = get_or_create_relation(
        database=none, schema=model.schema, identifier=model.get('alias', model.get('name')), type='table'
    ) -%}
    {%- if not adapter.check_schema_exists(model.database, model.schema) -%}
        {%- do create_schema(model.schema) -%}
    {%- endif -%}

    {{ run_hooks(pre_hooks) }}

    {%- set strategy_macro = strategy_dispatch(config.get('strategy')) -%}
    {%- set strategy = strategy_macro(model, 'snapshotted_data', 'source_data', model['config'], target_relation_exists) -%}

    {%- if not target_relation_exists -%}
        {%- set final_sql = create_table_as(False, target_relation, build_snapshot_table(strategy, model['compiled_code'])) -%}
    {%- else -%}
        {%- set columns = config.get('snapshot_table_column_names') or get_snapshot_table_column_names() -%}
        {{ adapter.valid_snapshot_target(target_relation, columns) }}
        {%- set staging = dbt.spark_build_snapshot_staging_table(strategy, sql, target_relation) -%}
        {%- do create_columns(target_relation, adapter.get_missing_columns(staging, target_relation)
            | rejectattr('name', 'in', ['dbt_change_type', 'dbt_unique_key']) | list) -%}
        {%- set rewritten = spark_rewrite_stage(target_relation) -%}
        {%- do run_query('drop table if exists ' ~ rewritten) -%}
        {%- do run_query(snapshot_rewrite_sql(target_relation, staging, rewritten, columns)) -%}
        {%- set final_sql -%}
            insert overwrite table {{ target_relation }}
            select * from {{ rewritten }}
        {%- endset -%}
    {%- endif -%}

    {% call statement('main') %}
        {{ final_sql }}
    {% endcall %}

    {%- if staging is defined -%}
        {%- do adapter.drop_relation(staging) -%}
        {%- do run_query('drop table if exists ' ~ rewritten) -%}
    {%- endif -%}

    {% do persist_docs(target_relation, model) %}

    {{ run_hooks(post_hooks) }}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{% macro snapshot_rewrite_sql(target, staging, rewritten, columns) %}
    {#- The snapshot's new content as a table: what a merge on dbt_scd_id would leave. -#}
    {%- set names = adapter.get_columns_in_relation(target) | map(attribute='name') | list -%}
    create table {{ rewritten }} using parquet as
    with

    ended as (
        select
            {{ columns.dbt_scd_id }} as ended_scd_id,
            {{ columns.dbt_valid_to }} as ended_at
        from {{ staging }}
        where dbt_change_type in ('update', 'delete')
    ),

    kept as (
        select
            {%- for name in names %}
            {% if name == columns.dbt_valid_to -%}
            case
                when snapshotted.{{ name }} is null then ended.ended_at
                else snapshotted.{{ name }}
            end as {{ name }}
            {%- else -%}
            snapshotted.{{ name }}
            {%- endif %}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ target }} as snapshotted
        left join ended
            on snapshotted.{{ columns.dbt_scd_id }} = ended.ended_scd_id
    ),

    added as (
        select {{ names | join(', ') }}
        from {{ staging }}
        where dbt_change_type = 'insert'
    )

    select * from kept
    union all
    select * from added
{% endmacro %}
