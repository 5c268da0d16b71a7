{#-
    Calendar date of a timestamptz in an explicit time zone, whatever the session
    zone is: UTC for platform reporting days, Europe/Paris for publication dates.
-#}
{% macro date_in_zone(timestamp_expression, zone='UTC') -%}
    cast(timezone('{{ zone }}', {{ timestamp_expression }}) as date)
{%- endmacro %}
