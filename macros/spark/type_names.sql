{#-
    The models' contracts and the seeds' column_types name SQL types as DuckDB and PostgreSQL spell
    them (varchar, double precision, integer, numeric(p,s), json: JSON is text on Spark). Spark spells some differently and
    refuses varchar without a length, so on Spark each declared name is read through spark_type_name
    (docs/rules.md §7): one copy of every model and seed configuration.
-#}
{% macro spark_type_name(type_name) %}
    {%- set name = (type_name | string).strip().lower() -%}
    {%- set renamed = {
        'varchar': 'string',
        'text': 'string',
        'character varying': 'string',
        'double precision': 'double',
        'float8': 'double',
        'integer': 'int',
        'json': 'string',
    } -%}
    {%- if name in renamed -%}
        {{ return(renamed[name]) }}
    {%- elif name.startswith('numeric') -%}
        {{ return('decimal' ~ name[7:]) }}
    {%- else -%}
        {{ return(name) }}
    {%- endif -%}
{% endmacro %}


{% macro spark__format_column(column) -%}
    {#- the contract check compares the query's Spark types with the declared names, translated -#}
    {%- set data_type = spark_type_name(column.dtype) -%}
    {%- set formatted = column.column.lower() ~ " " ~ data_type -%}
    {{ return({'name': column.name, 'data_type': data_type, 'formatted': formatted}) }}
{%- endmacro %}


{% macro spark__get_empty_schema_sql(columns) %}
    {#- the contract check first selects null cast to each declared type: translated here -#}
    {%- set translated = {} -%}
    {%- for name in columns -%}
        {%- set column = columns[name].copy() -%}
        {%- if column.get('data_type') -%}
            {%- do column.update({'data_type': spark_type_name(column['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: column}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(translated)) }}
{% endmacro %}


{% macro spark__create_csv_table(model, agate_table) %}
    {#- dbt-spark's own, with each column_types name translated -#}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}
    {%- set sql -%}
        create table {{ this.render() }} (
            {%- for col_name in agate_table.column_names -%}
                {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                {%- set type = spark_type_name(column_override.get(col_name, inferred_type)) -%}
                {{ adapter.quote_seed_column(col_name | string, quote_seed_column) }} {{ type }}
                {%- if not loop.last -%}, {% endif -%}
            {%- endfor -%}
        )
        {{ file_format_clause() }}
        {{ partition_cols(label="partitioned by") }}
        {{ clustered_cols(label="clustered by") }}
        {{ location_clause() }}
        {{ comment_clause() }}
    {%- endset -%}
    {%- call statement('_') -%}
        {{ sql }}
    {%- endcall -%}
    {{ return(sql) }}
{% endmacro %}
