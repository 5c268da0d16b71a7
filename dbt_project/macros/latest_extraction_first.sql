{#-
    The warehouse rule for facts seen by several extractions: the latest wins,
    ordered by `_ds` desc, then `_extracted_at` desc (see docs/contract_issue2.md).
    Renders a row number that is 1 for the winning row of each partition.
-#}
{% macro latest_extraction_first(partition_by) -%}
    row_number() over (
        partition by {{ partition_by | join(', ') }}
        order by _ds desc, _extracted_at desc
    )
{%- endmacro %}
