{#- Incremental models on Spark's plain Parquet tables (docs/rules.md §7). Parquet has no delete and
    dbt-spark's merge needs Delta, so the project's two delete strategies (delete+insert and
    replace_recomputed) are done there by rewriting: the rows kept from the table and the new
    rows go to a stage table, which then overwrites the table. A model partitioned on Spark
    (spark_partition_by) has only the partitions its new rows fall in rewritten, so a partition must be
    a function of the model's unique key (a row never moves to another partition). dbt-spark's own
    strategies (append, insert_overwrite, merge) are left to it. -#}

{% macro spark_rewrite_strategies() %}
    {{ return(['delete+insert', 'replace_recomputed']) }}
{% endmacro %}

{% macro spark_partition_by(column) %}
    {#- A model's partition column on Spark; none elsewhere. -#}
    {{ return(column if target.type == 'spark' else none) }}
{% endmacro %}

{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {%- if raw_strategy in spark_rewrite_strategies() -%}
        {{ return(raw_strategy) }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
{% endmacro %}

{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
    {%- if strategy == 'delete+insert' -%}
        {{ return(spark_rewrite_sql(source, target, unique_key)) }}
    {%- elif strategy == 'replace_recomputed' -%}
        {{ return(spark_rewrite_sql(source, target, unique_key, recomputed_keys_query())) }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_get_incremental_sql(
        strategy, source, target, existing, unique_key, incremental_predicates
    )) }}
{% endmacro %}

{% macro spark_rewrite_sql(source, target, key, replaced_keys=none) %}
    {#- The statement that overwrites `target` with the rows of `source` and its own rows whose `key`
        (a column, or a list of them) is not replaced: not among `replaced_keys` (a query), by default
        the keys of `source`.
        Partitioned, only the partitions `source` has rows in are rewritten. Spark cannot overwrite a
        table in a query that reads it, hence the stage table: the new rows first (the model's query
        runs once), then the rows kept. It is dropped when the dbt run ends (drop_spark_rewrite_stages). -#}
    {%- set partition_by = config.get('partition_by') -%}
    {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
    {%- set stage = spark_rewrite_stage(target) -%}
    {%- set keys = [key] if key is string else key -%}
    {%- do run_query('drop table if exists ' ~ stage) -%}
    {%- do run_query('create table ' ~ stage ~ ' using parquet as select ' ~ columns ~ ' from ' ~ source) -%}
    {%- call statement('spark_rewrite_kept_rows') -%}
        insert into {{ stage }}
        select {{ columns }}
        from {{ target }} as kept
        where
            {% if partition_by -%}
            kept.{{ partition_by }} in (select distinct new_rows.{{ partition_by }} from {{ stage }} as new_rows)
            and {% endif -%}
            not exists (
                select 1 from ({{ replaced_keys or 'select ' ~ keys | join(', ') ~ ' from ' ~ stage }}) as replaced
                where
                    {% for column in keys -%}
                    replaced.{{ column }} = kept.{{ column }}{% if not loop.last %} and {% endif %}
                    {%- endfor %}
            )
    {%- endcall -%}
    {%- if partition_by -%}
        {%- do run_query('set spark.sql.sources.partitionOverwriteMode = DYNAMIC') -%}
    {%- endif -%}
    insert overwrite table {{ target }}
    {% if partition_by %}partition ({{ partition_by }}){% endif %}
    select {{ columns }} from {{ stage }}
{% endmacro %}

{% macro spark_rewrite_stage(relation) %}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ '__dbt_stage'})) }}
{% endmacro %}

{% macro drop_spark_rewrite_stages(results) %}
    {#- On run end: the stage tables of the incremental models this run rewrote. -#}
    {%- if execute and target.type == 'spark' -%}
        {%- for result in results
            if result.node.resource_type == 'model' and result.node.config.materialized == 'incremental' -%}
            {%- set relation = api.Relation.create(schema=result.node.schema, identifier=result.node.alias) -%}
            {%- do run_query('drop table if exists ' ~ spark_rewrite_stage(relation)) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
