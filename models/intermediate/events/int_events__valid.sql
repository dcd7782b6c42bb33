-- The valid events: every landed row that broke no contract rule (docs/rules.md §5), typed, with
-- timestamps in UTC. Milestones, health scores and the retention analysis are computed from these
-- rows; the mart fct_events publishes them.

-- A view: the contract model is incremental, so this half of it costs nothing to refresh.
{{ config(materialized='view') }}

-- The contract gate comes first: past the error rate its test fails and dbt skips this view and
-- everything that reads it, while fct_events and the quarantine are still built (docs/rules.md §5).
-- depends_on: {{ ref('int_events__contract_gate') }}

with

checked_events as (
    select * from {{ ref('int_events__contract_checked') }}
),

final as (
    {{ valid_events('checked_events') }}
)

select * from final
