{#-
    `union all` of one import CTE per platform, selecting the same columns by name
    from each, so a new platform is one more import CTE and one more list entry.
-#}
{% macro union_platforms(ctes, columns) -%}
    {%- for cte in ctes %}
    select
        {{ columns | join(',\n        ') }}
    from {{ cte }}
    {%- if not loop.last %}

    union all
    {% endif -%}
    {%- endfor %}
{%- endmacro %}
