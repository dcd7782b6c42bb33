-- The last steps of every landing file's check (docs/rules.md §3), in one place: seed
-- landing_row_rules names the rule a row breaks and says whether the row is set aside
-- (violation_reason) or used with a warning (warning_reason).

{# The rows of `checked` (with a rule_number, null when none is broken) beside their rule. #}
{% macro landing_rule_named(checked, row_rules) %}
    select
        {{ checked }}.*,
        {{ row_rules }}.reason,
        coalesce({{ row_rules }}.is_quarantined, false) as is_quarantined
    from {{ checked }}
    left join {{ row_rules }}
        on {{ checked }}.rule_number = {{ row_rules }}.rule_number
{% endmacro %}

{# Where a row came from and the verdict on it: the closing columns of every landing check. #}
{% macro landing_row_verdict() %}
        load_id,
        file_name,
        file_checksum,
        loaded_at,
        file_row_number,
        raw_record,
        not is_quarantined as is_used,
        case when is_quarantined then reason end as violation_reason,
        case when not is_quarantined then reason end as warning_reason
{% endmacro %}
