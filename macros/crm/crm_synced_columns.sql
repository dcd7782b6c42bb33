{% macro crm_synced_columns() %}
    {#- The fields the CRM holds about an account (docs/rules.md §6), in their order: row_hash covers
        exactly these. One home for the list: int_crm__account_sync_fields computes them, and
        crm_account_milestone_sync and crm_account_milestone_changes read them from the snapshot. -#}
    {%- set columns = [
        'crm_id', 'account_id', 'account_name', 'account_owner', 'segment', 'arr', 'signed_up_on',
        'milestones_completed', 'milestones_total', 'milestone_progress_pct',
        'current_milestone_id', 'current_milestone_name', 'current_milestone_started_on',
        'current_milestone_due_on', 'next_milestone_id', 'next_milestone_name', 'is_stalled',
        'stalled_since_on', 'stall_playbook', 'health_score', 'health_band', 'last_milestone_completed_on',
    ] -%}
    {%- for slot in range(1, var('customer_record_milestone_slots') + 1) -%}
        {%- do columns.append('milestone_%02d_id' % slot) -%}
        {%- do columns.append('milestone_%02d_completed_on' % slot) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}
