{% macro criteria_recompute_path_ctes() %}
    {#- The CTEs of int_account_criteria_progress's incremental build, ending with recompute_paths: each
        (account, criterion) pair to recompute, and whether it is extended (its stored running measure
        plus the events checked since) or computed again from all its account's events. Reads the
        model's own table (`this`). -#}
{%- set pair_keys = ['account_id', 'milestone_id', 'criterion_id'] %}
recomputed_pairs as (
    {{ criteria_pairs_to_recompute() }}
),

stored_met_pairs as (
    select
        account_id,
        milestone_id,
        criterion_id
    from {{ this }}
    where is_met
),

stored_measures as (
    select stored.*
    from {{ this }} as stored
    where
        not stored.is_met
        and exists (
            select 1
            from recomputed_pairs
            where
                {% for key in pair_keys -%}
                recomputed_pairs.{{ key }} = stored.{{ key }}
                {%- if not loop.last %} and {% endif %}
                {% endfor %}
        )
),

counted_through as (
    select
        account_id,
        milestone_id,
        criterion_id,
        max(last_counted_at) as last_counted_at
    from stored_measures
    group by 1, 2, 3
),

criteria_unchanged as (
    select
        case
            when {{ criteria_changed_since_stored() }} then false
            else true
        end as is_unchanged
),

pair_changes as (
    select
        recomputed_pairs.account_id,
        recomputed_pairs.milestone_id,
        recomputed_pairs.criterion_id,
        min(recomputed_pairs.earliest_changed_at) as earliest_changed_at,
        count(*) - count(recomputed_pairs.earliest_changed_at) as changes_without_time,
        max(stored_met_pairs.account_id) as met_account_id,
        max(counted_through.last_counted_at) as last_counted_at
    from recomputed_pairs
    left join stored_met_pairs
        on
            recomputed_pairs.account_id = stored_met_pairs.account_id
            and recomputed_pairs.milestone_id = stored_met_pairs.milestone_id
            and recomputed_pairs.criterion_id = stored_met_pairs.criterion_id
    left join counted_through
        on
            recomputed_pairs.account_id = counted_through.account_id
            and recomputed_pairs.milestone_id = counted_through.milestone_id
            and recomputed_pairs.criterion_id = counted_through.criterion_id
    group by 1, 2, 3
),

-- extended, or computed from all the account's events: a pair met, or with a changed event no later
-- than what it counted (a late event, another copy of a counted one), or under changed criteria, is
-- computed again
recompute_paths as (
    select
        pair_changes.account_id,
        pair_changes.milestone_id,
        pair_changes.criterion_id,
        case
            when
                criteria_unchanged.is_unchanged
                and pair_changes.met_account_id is null
                and pair_changes.changes_without_time = 0
                and pair_changes.earliest_changed_at is not null
                and (
                    pair_changes.last_counted_at is null
                    or pair_changes.earliest_changed_at > pair_changes.last_counted_at
                )
                then true
            else false
        end as is_extended
    from pair_changes
    cross join criteria_unchanged
)
{%- endmacro %}

{% macro criteria_pairs_are_staged() %}
    {#- Whether int_account_criteria_progress's pre-hook writes its pairs to recompute to a work table,
        which the model and the replace_recomputed strategy then read: on Spark, which inlines a CTE at
        every reference. The model references these pairs in three places under a tree of steps that
        each read two others, so Spark's plan held the query of the pairs hundreds of times (half a
        minute of planning per build). Other warehouses plan the CTEs once. -#}
    {{ return(adapter.dispatch('criteria_pairs_are_staged')()) }}
{% endmacro %}

{% macro default__criteria_pairs_are_staged() %}
    {{ return(false) }}
{% endmacro %}

{% macro spark__criteria_pairs_are_staged() %}
    {{ return(true) }}
{% endmacro %}

{% macro criteria_recompute_paths_table() %}
    {#- where the staged pairs are kept during the model's build; the suffix marks a work table, which
        the warehouse's listings leave out -#}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__recompute_paths__dbt_tmp'})) }}
{% endmacro %}

{% macro criteria_recompute_paths() %}
    {#- The CTE recompute_paths of int_account_criteria_progress: the staged table, or the CTEs. -#}
    {%- if criteria_pairs_are_staged() %}
recompute_paths as (
    select * from {{ criteria_recompute_paths_table() }}
)
    {%- else %}
    {{ criteria_recompute_path_ctes() }}
    {%- endif %}
{%- endmacro %}

{% macro criteria_recompute_paths_hooks() %}
    {#- The model's hooks ({'pre': [...], 'post': [...]}): when the pairs are staged, the table is
        written before an incremental build and dropped once the model is built. -#}
    {%- if not criteria_pairs_are_staged() -%}
        {{ return({'pre': [], 'post': []}) }}
    {%- endif -%}
    {%- set drop = "drop table if exists {{ criteria_recompute_paths_table() }}" -%}
    {{ return({
        'pre': [
            drop,
            "{% if is_incremental() %}create table {{ criteria_recompute_paths_table() }} using parquet as"
            ~ " with {{ criteria_recompute_path_ctes() }} select * from recompute_paths{% endif %}",
        ],
        'post': [drop],
    }) }}
{% endmacro %}

{% macro criteria_pairs_recomputed() %}
    {#- The recomputed_keys of int_account_criteria_progress (the replace_recomputed strategy deletes
        their old rows): the pairs to recompute, as staged when they are. -#}
    {%- if criteria_pairs_are_staged() %}
    select account_id, milestone_id, criterion_id from {{ criteria_recompute_paths_table() }}
    {%- else %}
    {{ criteria_pairs_to_recompute() }}
    {%- endif %}
{%- endmacro %}
