{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['post_id', 'snapshot_date'],
        on_schema_change='fail',
    )
}}

with

post_snapshots as (

    select * from {{ ref('fct_post_snapshots') }}

),

posts as (

    select * from {{ ref('dim_posts') }}

),

carbon_factors as (

    select * from {{ ref('carbon_factors') }}

),

-- the snapshots this build computes: the reprocess window, or all of them when the
-- factors changed since the last build
snapshots_to_build as (

    select
        post_id,
        snapshot_date
    from post_snapshots
    where (true {{ incremental_window('snapshot_date') }})
        or {{ carbon_factors_changed('carbon_factors') }}

),

-- every snapshot of those posts, so that the first day of the window finds its
-- previous snapshot; views, or organic views where the platform serves only those
post_history as (

    select
        post_id,
        account_id,
        platform,
        snapshot_date,
        coalesce(views, views_organic) as lifetime_views,
        views is null and views_organic is not null as is_organic_only
    from post_snapshots
    where post_id in (select snapshots_to_build.post_id from snapshots_to_build)

),

-- the previous snapshot that measured views (one without views is skipped)
measured as (

    select
        post_id,
        snapshot_date,
        lag(snapshot_date) over (
            partition by post_id order by snapshot_date
        ) as previous_snapshot_date,
        lag(lifetime_views) over (
            partition by post_id order by snapshot_date
        ) as previous_lifetime_views
    from post_history
    where lifetime_views is not null

),

-- new views = lifetime views minus those of the previous snapshot (all of them at the
-- first snapshot); a decrease (a platform's correction) counts as 0
daily_views as (

    select
        post_history.post_id,
        post_history.account_id,
        post_history.platform,
        posts.format,
        post_history.snapshot_date,
        measured.previous_snapshot_date,
        case
            when post_history.lifetime_views is not null
                then cast(
                    post_history.snapshot_date
                    - coalesce(
                        measured.previous_snapshot_date,
                        {{ date_in_zone('posts.published_at', 'UTC') }} - 1
                    )
                    as integer
                )
        end as days_covered,
        post_history.lifetime_views,
        -- (DuckDB's greatest skips NULLs: a snapshot without views stays NULL)
        case
            when post_history.lifetime_views is not null
                then greatest(
                    post_history.lifetime_views - coalesce(measured.previous_lifetime_views, 0),
                    0
                )
        end as views,
        coalesce(post_history.is_organic_only, false) as is_organic_only

    from post_history
    inner join snapshots_to_build
        on post_history.post_id = snapshots_to_build.post_id
        and post_history.snapshot_date = snapshots_to_build.snapshot_date
    left join measured
        on post_history.post_id = measured.post_id
        and post_history.snapshot_date = measured.snapshot_date
    left join posts
        on post_history.post_id = posts.post_id

),

platform_formats as (

    select distinct
        platform,
        coalesce(format, 'other') as format
    from daily_views

),

factors as (

    {{ resolve_carbon_factors('platform_formats', 'carbon_factors') }}

),

estimated as (

    select
        daily_views.*,
        factors.view_time_low as seconds_viewed_low,
        factors.view_time_central as seconds_viewed_central,
        factors.view_time_high as seconds_viewed_high,
        {{ carbon_gco2e('daily_views.views', 'factors.view_time_low', 'factors.feed_low', 'factors.grid_low') }}
            as gco2e_low,
        {{ carbon_gco2e('daily_views.views', 'factors.view_time_central', 'factors.feed_central', 'factors.grid_central') }}
            as gco2e_central,
        {{ carbon_gco2e('daily_views.views', 'factors.view_time_high', 'factors.feed_high', 'factors.grid_high') }}
            as gco2e_high,
        factors.feed_factor_id,
        factors.view_time_factor_id,
        factors.grid_factor_id,
        factors.is_proxy_factor,
        case
            when daily_views.views is null
                and daily_views.platform in ('{{ carbon_platforms_without_views() | join("', '") }}')
                then 'platform_serves_no_views'
            when daily_views.views is null then 'no_views_read'
            when factors.feed_factor_id is null
                or factors.view_time_factor_id is null
                or factors.grid_factor_id is null
                then 'no_factor'
        end as null_reason

    from daily_views
    left join factors
        on daily_views.platform = factors.platform
        and coalesce(daily_views.format, 'other') = factors.format

),

final as (

    select
        cast(post_id as varchar) as post_id,
        cast(account_id as varchar) as account_id,
        cast(platform as varchar) as platform,
        cast(format as varchar) as format,
        cast(snapshot_date as date) as snapshot_date,
        cast(previous_snapshot_date as date) as previous_snapshot_date,
        cast(days_covered as integer) as days_covered,
        cast(lifetime_views as bigint) as lifetime_views,
        cast(views as bigint) as views,
        cast(is_organic_only as boolean) as is_organic_only,
        cast(seconds_viewed_low as double) as seconds_viewed_low,
        cast(seconds_viewed_central as double) as seconds_viewed_central,
        cast(seconds_viewed_high as double) as seconds_viewed_high,
        cast(case when null_reason is null then gco2e_low end as double) as gco2e_low,
        cast(case when null_reason is null then gco2e_central end as double) as gco2e_central,
        cast(case when null_reason is null then gco2e_high end as double) as gco2e_high,
        cast(feed_factor_id as varchar) as feed_factor_id,
        cast(view_time_factor_id as varchar) as view_time_factor_id,
        cast(grid_factor_id as varchar) as grid_factor_id,
        cast(null_reason is null and is_proxy_factor as boolean) as is_proxy_factor,
        cast(null_reason as varchar) as null_reason,
        cast({{ carbon_factors_version('carbon_factors') }} as varchar) as factors_version

    from estimated

)

select * from final
