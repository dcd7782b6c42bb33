-- What every staging model of a landing file says about where a row came from (docs/rules.md §3), in
-- one place: the loader's lineage columns renamed and typed, and the row key built from them.

{#- The key of a landed row: its load and its row number in the file, unique across every landed
    row of every file kind (a re-sent event id cannot collide with it). -#}
{% macro landing_raw_row_id() %}
    cast(_load_id as bigint) * 10000000000 + cast(_row_number as bigint)
{% endmacro %}

{% macro landing_lineage_columns() %}
        cast(_load_id as bigint) as load_id,
        _file_name as file_name,
        _file_checksum as file_checksum,
        cast(_loaded_at as timestamp) as loaded_at,
        cast(_row_number as bigint) as file_row_number,
        _raw_record as raw_record,
        _load_error as load_error
{% endmacro %}
