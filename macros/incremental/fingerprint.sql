{% macro fingerprint(relation, columns) %}
    {#- A scalar subquery: one hash of every row of a (seed-sized) relation. Incremental models store
        it beside their rows and rebuild everything when the seeds they depend on change. -#}
    (
        select
            {{ dbt.hash(dbt.listagg(
                dbt.concat(_fingerprint_fields(columns)),
                "'\n'",
                "order by " ~ dbt.concat(_fingerprint_fields(columns))
            )) }}
        from {{ relation }}
    )
{% endmacro %}

{% macro _fingerprint_fields(columns) %}
    {%- set fields = [] -%}
    {%- for column in columns -%}
        {%- do fields.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '~')") -%}
        {%- if not loop.last %}{% do fields.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ return(fields) }}
{% endmacro %}


{% macro processed_load_watermark() %}
    {#- The newest load this incremental model has processed (-1 on a full build). -#}
    {%- if is_incremental() -%}
        (select coalesce(max(processed_load_id), -1) from {{ this }})
    {%- else -%}
        cast(-1 as bigint)
    {%- endif -%}
{% endmacro %}


{% macro stored_fingerprint() %}
    {#- The seeds' fingerprint this incremental model was last built with (null on a full build). -#}
    {%- if is_incremental() -%}
        (select max(seed_fingerprint) from {{ this }})
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{% endmacro %}
