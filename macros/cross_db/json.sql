{#-
    JSON helpers. Every warehouse spells JSON differently; models call these and never the
    warehouse's own functions. Kinds are normalised to the tracking plan's vocabulary:
    object, array, string, integer, number, boolean, null, and missing for an absent key.
-#}

{% macro parse_json(text_expr) %}
    {{ return(adapter.dispatch('parse_json', 'milestone_warehouse')(text_expr)) }}
{% endmacro %}

{% macro default__parse_json(text_expr) %}
    {{ exceptions.raise_compiler_error("parse_json is not implemented for adapter " ~ adapter.type()) }}
{% endmacro %}

{% macro duckdb__parse_json(text_expr) %}
    -- invalid JSON becomes null instead of failing the whole query
    case when json_valid({{ text_expr }}) then cast({{ text_expr }} as json) end
{% endmacro %}

{% macro spark__parse_json(text_expr) %}
    -- kept as text (a VARIANT neither compares nor reads from a unit test's text fixture); invalid
    -- JSON becomes null, and the accessors below parse it
    case when try_parse_json({{ text_expr }}) is not null then {{ text_expr }} end
{% endmacro %}

{% macro postgres__parse_json(text_expr) %}
    -- try_jsonb is created by the on-run-start hook create_contract_functions
    {{ target.schema }}.try_jsonb({{ text_expr }})
{% endmacro %}


{% macro json_kind(json_expr) %}
    {{ return(adapter.dispatch('json_kind', 'milestone_warehouse')(json_expr)) }}
{% endmacro %}

{% macro default__json_kind(json_expr) %}
    {{ exceptions.raise_compiler_error("json_kind is not implemented for adapter " ~ adapter.type()) }}
{% endmacro %}

{% macro duckdb__json_kind(json_expr) %}
    {{ _duckdb_kind_from_type('json_type(' ~ json_expr ~ ')') }}
{% endmacro %}

{% macro spark__json_kind(json_expr) %}
    {{ _spark_kind_from_type('schema_of_variant(try_parse_json(' ~ json_expr ~ '))') }}
{% endmacro %}

{% macro postgres__json_kind(json_expr) %}
    {{ _postgres_kind_from_type('jsonb_typeof(' ~ json_expr ~ ')', '(' ~ json_expr ~ ' #>> \'{}\')') }}
{% endmacro %}


{% macro json_kind_at(json_expr, key_expr) %}
    {{ return(adapter.dispatch('json_kind_at', 'milestone_warehouse')(json_expr, key_expr)) }}
{% endmacro %}

{% macro default__json_kind_at(json_expr, key_expr) %}
    {{ exceptions.raise_compiler_error("json_kind_at is not implemented for adapter " ~ adapter.type()) }}
{% endmacro %}

{% macro duckdb__json_kind_at(json_expr, key_expr) %}
    {{ _duckdb_kind_from_type('json_type(' ~ json_expr ~ ', ' ~ _duckdb_json_path(key_expr) ~ ')') }}
{% endmacro %}

{% macro spark__json_kind_at(json_expr, key_expr) %}
    {{ _spark_kind_from_type('schema_of_variant(' ~ _spark_variant_at(json_expr, key_expr) ~ ')') }}
{% endmacro %}

{% macro postgres__json_kind_at(json_expr, key_expr) %}
    {{ _postgres_kind_from_type(
        'jsonb_typeof(' ~ json_expr ~ ' -> ' ~ key_expr ~ ')',
        '(' ~ json_expr ~ ' ->> ' ~ key_expr ~ ')'
    ) }}
{% endmacro %}


{% macro json_text_at(json_expr, key_expr) %}
    {{ return(adapter.dispatch('json_text_at', 'milestone_warehouse')(json_expr, key_expr)) }}
{% endmacro %}

{% macro default__json_text_at(json_expr, key_expr) %}
    {{ exceptions.raise_compiler_error("json_text_at is not implemented for adapter " ~ adapter.type()) }}
{% endmacro %}

{% macro duckdb__json_text_at(json_expr, key_expr) %}
    -- a string without its quotes, any other value as JSON writes it, JSON null as SQL null
    json_extract_string({{ json_expr }}, {{ _duckdb_json_path(key_expr) }})
{% endmacro %}

{% macro spark__json_text_at(json_expr, key_expr) %}
    -- a string without its quotes, any other value as JSON text, JSON null as SQL null
    variant_get({{ _spark_variant_at(json_expr, key_expr) }}, '$', 'string')
{% endmacro %}

{% macro postgres__json_text_at(json_expr, key_expr) %}
    ({{ json_expr }} ->> {{ key_expr }})
{% endmacro %}


{% macro _duckdb_json_path(key_expr) %}
    -- quoted so that property names with spaces or dots address one key
    ('$."' || {{ key_expr }} || '"')
{% endmacro %}

{% macro _duckdb_kind_from_type(type_expr) %}
    case {{ type_expr }}
        when 'OBJECT' then 'object'
        when 'ARRAY' then 'array'
        when 'VARCHAR' then 'string'
        when 'BIGINT' then 'integer'
        when 'UBIGINT' then 'integer'
        when 'HUGEINT' then 'integer'
        when 'DOUBLE' then 'number'
        when 'BOOLEAN' then 'boolean'
        when 'NULL' then 'null'
        else 'missing'
    end
{% endmacro %}

{% macro _spark_variant_at(json_expr, key_expr) %}
    -- quoted so that property names with spaces or dots address one key; a key holding a double
    -- quote is not addressable and reads as missing
    try_variant_get(try_parse_json({{ json_expr }}), concat('$["', {{ key_expr }}, '"]'))
{% endmacro %}

{% macro _spark_kind_from_type(type_expr) %}
    case
        when {{ type_expr }} is null then 'missing'
        when {{ type_expr }} like 'OBJECT%' then 'object'
        when {{ type_expr }} like 'ARRAY%' then 'array'
        when {{ type_expr }} = 'STRING' then 'string'
        when {{ type_expr }} in ('TINYINT', 'SMALLINT', 'INT', 'BIGINT') then 'integer'
        -- a literal without fraction that fits no BIGINT is DECIMAL(19+,0); one with a fraction of
        -- zeros (1.0) is a smaller DECIMAL(p,0) and stays a number, as on the other warehouses
        when {{ type_expr }} rlike '^DECIMAL\\((19|[2-9][0-9]),0\\)$' then 'integer'
        when {{ type_expr }} like 'DECIMAL%' or {{ type_expr }} in ('FLOAT', 'DOUBLE') then 'number'
        when {{ type_expr }} = 'BOOLEAN' then 'boolean'
        when {{ type_expr }} = 'VOID' then 'null'
        else 'missing'
    end
{% endmacro %}

{% macro _postgres_kind_from_type(type_expr, text_expr) %}
    case
        when {{ type_expr }} is null then 'missing'
        -- jsonb has one number type: a number written without fraction or exponent is an integer
        when {{ type_expr }} = 'number' and {{ text_expr }} ~ '^-?[0-9]+$' then 'integer'
        else {{ type_expr }}
    end
{% endmacro %}


{% macro try_cast_numeric(text_expr) %}
    {{ return(adapter.dispatch('try_cast_numeric', 'milestone_warehouse')(text_expr)) }}
{% endmacro %}

{% macro default__try_cast_numeric(text_expr) %}
    -- unreadable numbers become null; a data test then names the landed row
    case
        when {{ text_expr }} ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' then cast({{ text_expr }} as {{ dbt.type_numeric() }})
    end
{% endmacro %}

{% macro spark__try_cast_numeric(text_expr) %}
    try_cast({{ text_expr }} as {{ dbt.type_numeric() }})
{% endmacro %}

{% macro duckdb__try_cast_numeric(text_expr) %}
    try_cast({{ text_expr }} as {{ dbt.type_numeric() }})
{% endmacro %}
