{% macro get_incremental_replace_recomputed_pairs_sql(arg_dict) %}
    {#- An incremental strategy (incremental_strategy='replace_recomputed_pairs'): delete+insert by
        (account, criterion), where the pairs deleted are every pair the build recomputed
        (criteria_pairs_to_recompute), not only those with rows in the new batch. A pair no longer met
        so loses its old row, and the model stores facts only. Nothing has changed since the model's
        select ran, so the same query gives the same pairs. -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where (account_id, milestone_id, criterion_id) in (
        select
            recomputed.account_id,
            recomputed.milestone_id,
            recomputed.criterion_id
        from ({{ criteria_pairs_to_recompute() }}) as recomputed
    );

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ arg_dict['temp_relation'] }}
{% endmacro %}
