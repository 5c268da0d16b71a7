{#-
    Pivot one value out of a long insights table (metric_name, breakdown,
    breakdown_value, metric_value) inside a `group by`: the plain total by default,
    or one breakdown value. Assumes one row per group and key (latest extraction).
-#}
{% macro pick_metric(metric_name, breakdown='', breakdown_value='') -%}
    max(
        case
            when metric_name = '{{ metric_name }}'
                and breakdown = '{{ breakdown }}'
                and breakdown_value = '{{ breakdown_value }}'
                then metric_value
        end
    )
{%- endmacro %}
