-- The conservation law of the event contract: every landed event row is in exactly one of fct_events
-- and the quarantine. Returns the landed rows that are in neither or in both.
--
-- After a green build (tested_since_load_id) only the rows in play are looked at: those landed since,
-- and those the contract check (re)checked since. Every other row is as that build tested it, so a row
-- can only have been lost from both halves, which assert_event_row_totals_are_conserved finds: with
-- every row in play placed once, equal totals leave no row out.

-- depends_on: {{ ref('int_events__contract_checked') }}

{%- set since = tested_since_load_id() %}

with

{% if since is not none -%}

rows_in_play as (
    select raw_row_id from {{ ref('stg_landing__events') }}
    where load_id > {{ since }}
    union
    select raw_row_id from {{ ref('int_events__contract_checked') }}
    where processed_load_id > {{ since }}
),

{% endif -%}

landed as (
    select raw_row_id from {{ ref('stg_landing__events') }}
    {%- if since is not none %}
    where raw_row_id in (select rows_in_play.raw_row_id from rows_in_play)
    {%- endif %}
),

placed as (
    select raw_row_id from {{ ref('fct_events') }}
    {%- if since is not none %}
    where raw_row_id in (select rows_in_play.raw_row_id from rows_in_play)
    {%- endif %}
    union all
    select raw_row_id from {{ ref('fct_event_contract_violations') }}
    {%- if since is not none %}
    where raw_row_id in (select rows_in_play.raw_row_id from rows_in_play)
    {%- endif %}
),

placements as (
    select
        raw_row_id,
        count(*) as times_placed
    from placed
    group by 1
),

final as (
    select
        coalesce(landed.raw_row_id, placements.raw_row_id) as raw_row_id,
        coalesce(placements.times_placed, 0) as times_placed,
        landed.raw_row_id is not null as was_landed
    from landed
    full outer join placements
        on landed.raw_row_id = placements.raw_row_id
    where landed.raw_row_id is null or coalesce(placements.times_placed, 0) != 1
)

select * from final
