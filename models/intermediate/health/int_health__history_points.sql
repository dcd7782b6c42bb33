-- The scoring points of the customer record's past days (docs/history.md): each account signed up by
-- a day, on each of the days `milestones history` fills in this run (macro history_days; none after
-- the as-of date). So the milestone clock and the health score are computed for those days by the
-- same models that score the as-of date and the backtest (int_health__scoring_points unions these
-- points in). In every other run there are no such days and this model is empty: a build records its
-- own day from the current points.

{%- set days = history_days() %}

with

accounts as (
    select * from {{ ref('int_accounts__current') }}
),

filled_days as (
    {%- for day in days %}
    select cast('{{ day }}' as date) as scored_on
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select cast(null as date) as scored_on
    where 1 = 0
    {%- endfor %}
),

-- a past day of the record never sees past the as-of date, whatever the var says
known_days as (
    select * from filled_days
    where scored_on <= {{ as_of_date() }}
),

final as (
    select
        {{ dbt.concat([
            "'history|'",
            "cast(known_days.scored_on as " ~ dbt.type_string() ~ ")",
            "'|'",
            'accounts.account_id',
        ]) }} as scoring_point_id,
        'history' as point_type,
        accounts.account_id,
        accounts.segment,
        accounts.signed_up_at,
        known_days.scored_on,
        cast(null as {{ dbt.type_string() }}) as renewal_id
    from known_days
    inner join accounts
        on cast(accounts.signed_up_at as date) <= known_days.scored_on
)

select * from final
