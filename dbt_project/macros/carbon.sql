{#
    Carbon estimates (method: the `carbon_method` docs, models/marts/carbon.md).
    Factors come from the seed `carbon_factors`, one row per (parameter, platform,
    format); `all` in platform or format matches any, and the most specific row wins
    (a platform's own row over `all`, then a format's own row over `all`).
#}

{#- The parameters of the method: column prefix in the marts -> seed `parameter`. -#}
{% macro carbon_parameters() -%}
    {{ return({
        'feed': 'feed_gco2e_per_minute',
        'view_time': 'seconds_viewed_per_view',
        'grid': 'grid_adjustment',
    }) }}
{%- endmacro %}

{#- Platforms whose APIs serve no views at all (docs overview): their NULL estimates
    say `platform_serves_no_views` rather than `no_views_read`. -#}
{% macro carbon_platforms_without_views() -%}
    {{ return(['bluesky', 'mastodon']) }}
{%- endmacro %}

{#-
    One row per (platform, format) of `keys` (a relation or CTE with those two
    columns) with, for each parameter, the factor_id and low / central / high values
    of the matching seed row (NULL when the seed has none), and whether any of them
    is a proxy.
-#}
{% macro resolve_carbon_factors(keys, factors) -%}
    with

    matched as (

        select
            {{ keys }}.platform as key_platform,
            {{ keys }}.format as key_format,
            {{ factors }}.*,
            row_number() over (
                partition by {{ keys }}.platform, {{ keys }}.format, {{ factors }}.parameter
                order by {{ factors }}.platform = 'all', {{ factors }}.format = 'all'
            ) as match_rank
        from {{ keys }}
        inner join {{ factors }}
            on {{ factors }}.platform in ({{ keys }}.platform, 'all')
            and {{ factors }}.format in ({{ keys }}.format, 'all')

    ),

    best as (

        select * from matched
        where match_rank = 1

    )

    select
        {{ keys }}.platform,
        {{ keys }}.format,
        {%- for prefix, parameter in carbon_parameters().items() %}
        max(case when best.parameter = '{{ parameter }}' then best.factor_id end) as {{ prefix }}_factor_id,
        max(case when best.parameter = '{{ parameter }}' then best.value_low end) as {{ prefix }}_low,
        max(case when best.parameter = '{{ parameter }}' then best.value_central end) as {{ prefix }}_central,
        max(case when best.parameter = '{{ parameter }}' then best.value_high end) as {{ prefix }}_high,
        {%- endfor %}
        coalesce(bool_or(best.is_proxy), false) as is_proxy_factor
    from {{ keys }}
    left join best
        on {{ keys }}.platform = best.key_platform
        and {{ keys }}.format = best.key_format
    group by
        {{ keys }}.platform,
        {{ keys }}.format
{%- endmacro %}

{#- gCO2e = views × seconds viewed per view / 60 × gCO2e per minute of feed × grid
    adjustment: the formula, written once. -#}
{% macro carbon_gco2e(views, seconds, feed, grid) -%}
    cast({{ views }} as double) * {{ seconds }} / 60.0 * {{ feed }} * {{ grid }}
{%- endmacro %}

{#- Fingerprint of the factors that change an estimate (not sources or notes). -#}
{% macro carbon_factors_version(factors) -%}
    (
        select
            md5(
                string_agg(
                    concat_ws(
                        '|',
                        factor_id,
                        parameter,
                        platform,
                        format,
                        cast(value_low as varchar),
                        cast(value_central as varchar),
                        cast(value_high as varchar),
                        cast(is_proxy as varchar)
                    ),
                    ';'
                    order by factor_id
                )
            )
        from {{ factors }}
    )
{%- endmacro %}

{#-
    True, in an incremental build, when the target was built with other factors than
    the seed holds now: the model then rebuilds every row, not only the reprocess
    window, so one table never mixes two versions of the factors. False otherwise.
-#}
{% macro carbon_factors_changed(factors) -%}
    {%- if is_incremental() -%}
        exists (
            select 1
            from {{ this }}
            where factors_version is distinct from {{ carbon_factors_version(factors) }}
        )
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#- Seed test: 0 <= value_low <= value_central <= value_high on every row. -#}
{% test carbon_values_ordered(model) %}
    select *
    from {{ model }}
    where not (
        value_low >= 0
        and value_low <= value_central
        and value_central <= value_high
    )
{% endtest %}

{#-
    Seed test: the factors every estimate needs exist: a feed factor of each platform
    (its own row), a view time of each format (an `all` platforms row) and a grid
    adjustment for all platforms. Fails with one row per missing factor.
-#}
{% test carbon_factors_complete(model, platforms, formats) %}
    with

    required as (

        {%- for platform in platforms %}
        select 'feed_gco2e_per_minute' as parameter, '{{ platform }}' as platform, 'all' as format
        union all
        {%- endfor %}
        {%- for format in formats %}
        select 'seconds_viewed_per_view', 'all', '{{ format }}'
        union all
        {%- endfor %}
        select 'grid_adjustment', 'all', 'all'

    )

    select required.*
    from required
    left join {{ model }} as factors
        on required.parameter = factors.parameter
        and required.platform = factors.platform
        and required.format = factors.format
    where factors.parameter is null
{% endtest %}

{#-
    Mart test: an estimate (gco2e_low, _central, _high all present, ordered low <=
    central <= high) exactly when null_reason is NULL, and no estimate when it is not.
-#}
{% test carbon_estimate_or_reason(model) %}
    select *
    from {{ model }}
    where
        case
            when null_reason is null
                then gco2e_low is null
                or gco2e_central is null
                or gco2e_high is null
                or not (gco2e_low <= gco2e_central and gco2e_central <= gco2e_high)
            else coalesce(gco2e_low, gco2e_central, gco2e_high) is not null
        end
{% endtest %}
