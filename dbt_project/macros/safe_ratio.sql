{#- numerator / denominator as a double; NULL when the denominator is NULL or 0. -#}
{% macro safe_ratio(numerator, denominator) -%}
    cast({{ numerator }} as double) / nullif({{ denominator }}, 0)
{%- endmacro %}
