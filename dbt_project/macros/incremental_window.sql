{#
    Incremental marts by date. A daily build reprocesses only the last
    `reprocess_days` days present in the target (late metrics, reruns of recent
    days), so it costs what the new days cost, not what the history costs; rows of
    those days are replaced (`incremental_strategy='delete+insert'` on the grain).
    A backfill older than the window needs `dbt build --full-refresh`, which gives
    the same result as the accumulated incremental builds (tested).

    Usage, in the model's first CTE over its source:
        where true {{ incremental_window('report_date') }}
#}
{% macro incremental_window(date_column, target_column=none) -%}
    {%- if is_incremental() -%}
        and {{ date_column }} >= (
            select coalesce(max({{ target_column or date_column }}), date '1900-01-01')
                - to_days({{ var('reprocess_days') }})
            from {{ this }}
        )
    {%- endif -%}
{%- endmacro %}
