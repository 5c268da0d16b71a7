{#-
    Sum of columns where a NULL input counts as 0, and the result is NULL only
    when every input is NULL (a platform that lacks all of them has no value).
-#}
{% macro sum_of_present(columns) -%}
    case
        when {{ columns | join(' is null and ') }} is null then null
        else {% for column in columns -%}
            coalesce({{ column }}, 0){% if not loop.last %} + {% endif %}
        {%- endfor %}
    end
{%- endmacro %}
