{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['account_id', 'report_date'],
        on_schema_change='fail',
    )
}}

with

account_daily as (

    select * from {{ ref('fct_account_daily') }}

),

post_carbon as (

    select * from {{ ref('fct_carbon_post_daily') }}

),

carbon_factors as (

    select * from {{ ref('carbon_factors') }}

),

-- the account-days this build computes: the reprocess window (of the account's own
-- days and of its posts' days), or all of them when the factors changed
days_to_build as (

    select
        account_id,
        platform,
        report_date
    from account_daily
    where (true {{ incremental_window('report_date') }})
        or {{ carbon_factors_changed('carbon_factors') }}

    union

    select
        account_id,
        platform,
        snapshot_date as report_date
    from post_carbon
    where (true {{ incremental_window('snapshot_date', 'report_date') }})
        or {{ carbon_factors_changed('carbon_factors') }}

),

-- the account's own views of the day: views, or organic views where the platform
-- serves only those
account_views as (

    select
        account_id,
        report_date,
        coalesce(views, views_organic) as views,
        views is null and views_organic is not null as is_organic_only
    from account_daily
    where report_date >= (select min(days_to_build.report_date) from days_to_build)

),

-- the day's new views of the account's posts, and the view time they weigh: the
-- format mix of the day (posts with an estimate only); sums of doubles in a fixed
-- order, so that a rebuild gives the same bits
post_views as (

    select
        account_id,
        snapshot_date as report_date,
        sum(views) as post_views,
        bool_or(views is not null and is_organic_only) as is_organic_only,
        sum(case when null_reason is null then views end) as weighed_views,
        sum(
            case when null_reason is null then views * seconds_viewed_low end order by post_id
        ) as weighed_seconds_low,
        sum(
            case when null_reason is null then views * seconds_viewed_central end order by post_id
        ) as weighed_seconds_central,
        sum(
            case when null_reason is null then views * seconds_viewed_high end order by post_id
        ) as weighed_seconds_high,
        string_agg(
            distinct case when null_reason is null and views > 0 then view_time_factor_id end,
            ','
            order by case when null_reason is null and views > 0 then view_time_factor_id end
        ) as view_time_factor_ids,
        bool_or(null_reason is null and views > 0 and is_proxy_factor) as is_proxy_view_time
    from post_carbon
    where snapshot_date >= (select min(days_to_build.report_date) from days_to_build)
    group by
        account_id,
        snapshot_date

),

-- account-level views come without a format: the `other` view time when no post
-- views weigh the formats
platform_formats as (

    select distinct
        platform,
        'other' as format
    from days_to_build

),

factors as (

    {{ resolve_carbon_factors('platform_formats', 'carbon_factors') }}

),

joined as (

    select
        days_to_build.account_id,
        days_to_build.platform,
        days_to_build.report_date,
        coalesce(account_views.views, post_views.post_views) as views,
        account_views.views is null and post_views.post_views is not null as is_from_post_views,
        post_views.post_views,
        coalesce(
            case
                when account_views.views is not null then account_views.is_organic_only
                when post_views.post_views is not null then post_views.is_organic_only
            end,
            false
        ) as is_organic_only,
        -- the format mix of the day, when its posts have views
        post_views.weighed_views > 0 as has_format_mix,
        post_views.weighed_seconds_low / nullif(post_views.weighed_views, 0) as mix_seconds_low,
        post_views.weighed_seconds_central / nullif(post_views.weighed_views, 0) as mix_seconds_central,
        post_views.weighed_seconds_high / nullif(post_views.weighed_views, 0) as mix_seconds_high,
        post_views.view_time_factor_ids as mix_factor_ids,
        coalesce(post_views.is_proxy_view_time, false) as is_proxy_view_time

    from days_to_build
    left join account_views
        on days_to_build.account_id = account_views.account_id
        and days_to_build.report_date = account_views.report_date
    left join post_views
        on days_to_build.account_id = post_views.account_id
        and days_to_build.report_date = post_views.report_date

),

with_view_time as (

    select
        joined.*,
        case when joined.has_format_mix then joined.mix_seconds_low else factors.view_time_low end
            as seconds_viewed_low,
        case when joined.has_format_mix then joined.mix_seconds_central else factors.view_time_central end
            as seconds_viewed_central,
        case when joined.has_format_mix then joined.mix_seconds_high else factors.view_time_high end
            as seconds_viewed_high,
        case when joined.has_format_mix then joined.mix_factor_ids else factors.view_time_factor_id end
            as view_time_factor_ids,
        factors.feed_factor_id,
        factors.feed_low,
        factors.feed_central,
        factors.feed_high,
        factors.grid_factor_id,
        factors.grid_low,
        factors.grid_central,
        factors.grid_high,
        case
            when joined.has_format_mix then factors.is_proxy_factor or joined.is_proxy_view_time
            else factors.is_proxy_factor
        end as is_proxy_factor

    from joined
    left join factors
        on joined.platform = factors.platform

),

estimated as (

    select
        *,
        {{ carbon_gco2e('views', 'seconds_viewed_low', 'feed_low', 'grid_low') }} as gco2e_low,
        {{ carbon_gco2e('views', 'seconds_viewed_central', 'feed_central', 'grid_central') }} as gco2e_central,
        {{ carbon_gco2e('views', 'seconds_viewed_high', 'feed_high', 'grid_high') }} as gco2e_high,
        case
            when views is null
                and platform in ('{{ carbon_platforms_without_views() | join("', '") }}')
                then 'platform_serves_no_views'
            when views is null then 'no_views_read'
            when feed_factor_id is null
                or view_time_factor_ids is null
                or grid_factor_id is null
                then 'no_factor'
        end as null_reason

    from with_view_time

),

final as (

    select
        cast(account_id as varchar) as account_id,
        cast(platform as varchar) as platform,
        cast(report_date as date) as report_date,
        cast(views as bigint) as views,
        cast(is_from_post_views as boolean) as is_from_post_views,
        cast(post_views as bigint) as post_views,
        cast(is_organic_only as boolean) as is_organic_only,
        cast(seconds_viewed_low as double) as seconds_viewed_low,
        cast(seconds_viewed_central as double) as seconds_viewed_central,
        cast(seconds_viewed_high as double) as seconds_viewed_high,
        cast(case when null_reason is null then gco2e_low end as double) as gco2e_low,
        cast(case when null_reason is null then gco2e_central end as double) as gco2e_central,
        cast(case when null_reason is null then gco2e_high end as double) as gco2e_high,
        cast(feed_factor_id as varchar) as feed_factor_id,
        cast(view_time_factor_ids as varchar) as view_time_factor_ids,
        cast(grid_factor_id as varchar) as grid_factor_id,
        cast(null_reason is null and is_proxy_factor as boolean) as is_proxy_factor,
        cast(null_reason as varchar) as null_reason,
        cast({{ carbon_factors_version('carbon_factors') }} as varchar) as factors_version

    from estimated

)

select * from final
