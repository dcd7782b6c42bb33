{% macro get_incremental_replace_touched_accounts_sql(arg_dict) %}
    {#- An incremental strategy (incremental_strategy='replace_touched_accounts'): delete+insert by
        account, where the accounts deleted are every account the build recomputed
        (accounts_touched_since_last_build), not only those with rows in the new batch. An account
        none of whose criteria is met any more so loses its old rows too, and the model stores facts
        only. Nothing has changed since the model's select ran, so the same query gives the same
        accounts. -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where account_id in ({{ accounts_touched_since_last_build() }});

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ arg_dict['temp_relation'] }}
{% endmacro %}
