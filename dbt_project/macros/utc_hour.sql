{#- The UTC hour of a timestamptz as an integer (hours since 1970-01-01 00:00 UTC):
    integer arithmetic, cheap on every row, where calendar functions in a time zone
    are not; utc_hour_start gives the hour back as a timestamptz. -#}
{% macro utc_hour_index(timestamp_expression) -%}
    (epoch_us({{ timestamp_expression }}) // 3600000000)
{%- endmacro %}

{% macro utc_hour_start(hour_index_expression) -%}
    to_timestamp(({{ hour_index_expression }}) * 3600)
{%- endmacro %}
