{% macro register_raw_tables() %}
    {#- Run on start: the tables of the landing source, where the warehouse must be told about them.
        Elsewhere `milestones load` creates them itself (docs/rules.md §7). -#}
    {{ return(adapter.dispatch('register_raw_tables', 'milestone_warehouse')()) }}
{% endmacro %}

{% macro default__register_raw_tables() %}
{% endmacro %}

{% macro spark__register_raw_tables() %}
    {#- `milestones load --target spark` writes each raw table as Parquet files, one per load, under
        $MILESTONES_SPARK_DIR/raw/<table>/: one external table per table of the landing source reads that
        folder. The columns are declared (the loader's contract, src/milestones/load/landing.py), so a
        table no file has reached yet has them too; `refresh table` lists the files loaded since. -#}
    {%- if execute -%}
        {%- set raw_dir = env_var('MILESTONES_SPARK_DIR', 'warehouse/spark') ~ '/raw' -%}
        {%- set metadata_columns = [
            '_load_id bigint',
            '_file_name string',
            '_file_checksum string',
            '_loaded_at timestamp',
            '_row_number bigint',
            '_raw_record string',
            '_load_error string',
        ] -%}
        {%- set loads_columns = [
            'load_id bigint',
            'file_name string',
            'file_checksum string',
            'table_name string',
            'format string',
            'row_count bigint',
            'loaded_at timestamp',
        ] -%}
        {%- set landing = graph.sources.values() | selectattr('source_name', 'equalto', 'landing') | list -%}
        {%- for schema in landing | map(attribute='schema') | unique -%}
            {%- do run_query('create database if not exists `' ~ schema ~ '`') -%}
        {%- endfor -%}
        {%- for table in landing -%}
            {%- if table.identifier == '_loads' -%}
                {%- set columns = loads_columns -%}
            {%- else -%}
                {%- set columns = [] -%}
                {%- for column in table.columns -%}
                    {%- do columns.append('`' ~ column ~ '` string') -%}
                {%- endfor -%}
                {%- do columns.extend(metadata_columns) -%}
            {%- endif -%}
            {%- set relation = '`' ~ table.schema ~ '`.`' ~ table.identifier ~ '`' -%}
            {%- set location = (raw_dir ~ '/' ~ table.identifier) | replace('\\', '\\\\') | replace("'", "\\'") -%}
            {%- do run_query(
                'create table if not exists ' ~ relation ~ ' (' ~ columns | join(', ') ~ ')'
                ~ " using parquet location '" ~ location ~ "'"
            ) -%}
            {%- do run_query('refresh table ' ~ relation) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
