{#-
    The engagement-quality formulas, written once. Each is documented in
    models/marts/engagement.md (the docs block of the same name) and unit-tested on
    the marts that call it (_marts__models.yml). All rates are ratios (0.05 = 5 %),
    NULL when an input is NULL (the platform does not measure it) or the
    denominator is 0: `safe_ratio`. Engagements add what is present: `sum_of_present`.
-#}

{#- engagements = reactions + comments + shares + clicks (NULL counts as 0; all NULL gives NULL) -#}
{% macro engagements(
    reactions='reactions', comments='comments', shares='shares', clicks='clicks'
) -%}
    {{ sum_of_present([reactions, comments, shares, clicks]) }}
{%- endmacro %}

{#- engagement rate by an audience: reach, views (impressions) or followers -#}
{% macro engagement_rate(engagements, audience) -%}
    {{ safe_ratio(engagements, audience) }}
{%- endmacro %}

{#- amplification rate = shares / followers -#}
{% macro amplification_rate(shares, followers) -%}
    {{ safe_ratio(shares, followers) }}
{%- endmacro %}

{#- conversation rate = comments / followers -#}
{% macro conversation_rate(comments, followers) -%}
    {{ safe_ratio(comments, followers) }}
{%- endmacro %}

{#- follower growth = followers - followers of the previous day (NULL if either is NULL) -#}
{% macro follower_growth(followers, previous_followers) -%}
    ({{ followers }} - {{ previous_followers }})
{%- endmacro %}

{#- follower growth rate = follower growth / followers of the previous day -#}
{% macro follower_growth_rate(followers, previous_followers) -%}
    {{ safe_ratio(follower_growth(followers, previous_followers), previous_followers) }}
{%- endmacro %}

{#- share of paid views = views_paid / views (NULL without a paid/organic split) -#}
{% macro share_of_paid(paid, total) -%}
    {{ safe_ratio(paid, total) }}
{%- endmacro %}
