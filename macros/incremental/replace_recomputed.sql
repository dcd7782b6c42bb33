{% macro get_incremental_replace_recomputed_sql(arg_dict) %}
    {#- An incremental strategy (incremental_strategy='replace_recomputed'): delete+insert by the model's
        unique_key, where the keys deleted are every key the build recomputed (the query of the macro the
        model's `recomputed_keys` config names), not only those with rows in the new batch. A key with no
        row any more (a criterion no longer met, a day whose events all became duplicates) so loses its
        old row. Nothing has changed since the model's select ran, so the same query gives the same keys. -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set key = arg_dict['unique_key'] | join(', ') -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where ({{ key }}) in (
        select {{ key }}
        from ({{ recomputed_keys_query() }}) as recomputed
    );

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ arg_dict['temp_relation'] }}
{% endmacro %}

{% macro recomputed_keys_query() %}
    {#- The keys an incremental model of strategy replace_recomputed recomputes: the query of the macro
        its `recomputed_keys` config names, which the model's select uses too. -#}
    {{ return(context[config.get('recomputed_keys')]()) }}
{% endmacro %}
