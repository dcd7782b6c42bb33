{% macro create_contract_functions() %}
    {#- Run on start: helper functions some warehouses need to read untrusted text without failing. -#}
    {{ return(adapter.dispatch('create_contract_functions', 'milestone_warehouse')()) }}
{% endmacro %}

{% macro default__create_contract_functions() %}
    select 1 as nothing_to_create
{% endmacro %}

{% macro postgres__create_contract_functions() %}
    create schema if not exists {{ target.schema }};

    -- PostgreSQL 15 has no try-cast: a cast that fails would fail the model, so catch it here
    create or replace function {{ target.schema }}.try_jsonb(raw_text text) returns jsonb
    language plpgsql immutable as $$
    begin
        return raw_text::jsonb;
    exception when others then
        return null;
    end;
    $$;

    create or replace function {{ target.schema }}.try_timestamptz(raw_text text) returns timestamptz
    language plpgsql immutable set timezone = 'UTC' as $$
    begin
        return raw_text::timestamptz;
    exception when others then
        return null;
    end;
    $$;
{% endmacro %}
