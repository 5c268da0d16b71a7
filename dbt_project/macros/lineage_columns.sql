{#- The lineage columns every staging model carries through from raw, in one place. -#}
{% macro lineage_columns() -%}
    _ds,
        _extracted_at,
        _run_id,
        _source,
        _landing_file,
        _loaded_at
{%- endmacro %}
