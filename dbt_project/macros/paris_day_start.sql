{#- The start (timestamptz) of the Europe/Paris calendar day of a timestamptz. -#}
{% macro paris_day_start(timestamp_expression) -%}
    timezone('Europe/Paris', date_trunc('day', timezone('Europe/Paris', {{ timestamp_expression }})))
{%- endmacro %}
