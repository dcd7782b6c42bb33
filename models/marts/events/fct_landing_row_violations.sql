-- The landing files' quarantine (docs/rules.md §3): every landed row of accounts, renewals,
-- milestone overrides and experiment assignments that broke a landing rule, kept whole with the
-- first rule it broke, what exactly was wrong and the load, file and row it came from. Rows set
-- aside have is_quarantined; rows used with a warning (an account not synced to the CRM) do not.

{%- set checked_models = [
    'int_accounts__landing_checked',
    'int_renewals__landing_checked',
    'int_milestone_overrides__landing_checked',
    'int_experiment_assignments__landing_checked',
] %}

with

{% for checked_model in checked_models %}
{{ checked_model }} as (
    select * from {{ ref(checked_model) }}
),

{% endfor %}
checked_rows as (
    {% for checked_model in checked_models %}
    select
        raw_row_id,
        file_kind,
        coalesce(violation_reason, warning_reason) as reason,
        reason_detail,
        not is_used as is_quarantined,
        account_id,
        raw_record,
        load_id,
        file_name,
        file_checksum,
        file_row_number,
        loaded_at
    from {{ checked_model }}
    where violation_reason is not null or warning_reason is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select * from checked_rows
)

select * from final
