{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['account_id', 'report_date'],
        on_schema_change='fail',
    )
}}

with

-- the days to (re)build (all of them on a full build, the last `reprocess_days` days
-- of the table on an incremental one: macro incremental_window), plus the day before
-- the first of them, which follower growth compares with
account_daily as (

    select * from {{ ref('int_account_daily_unioned') }}
    where true {{ incremental_window('report_date + 1', 'report_date') }}

),

posts as (

    select * from {{ ref('int_posts_unioned') }}
    where true {{ incremental_window(date_in_zone('published_at', 'UTC'), 'report_date') }}

),

-- UTC calendar date, compared with the platform's reporting day (see posts_published)
posts_per_day as (

    select
        account_id,
        {{ date_in_zone('published_at', 'UTC') }} as published_utc_date,
        count(*) as posts_published
    from posts
    group by
        account_id,
        {{ date_in_zone('published_at', 'UTC') }}

),

joined as (

    select
        account_daily.*,
        previous_day.followers as previous_day_followers,
        coalesce(posts_per_day.posts_published, 0) as posts_published

    from account_daily
    left join account_daily as previous_day
        on account_daily.account_id = previous_day.account_id
        and account_daily.report_date - 1 = previous_day.report_date
    left join posts_per_day
        on account_daily.account_id = posts_per_day.account_id
        and account_daily.report_date = posts_per_day.published_utc_date

),

-- the extra day before the window only served as `previous_day`: not rebuilt
in_window as (

    select * from joined
    where true {{ incremental_window('report_date') }}

),

final as (

    select
        cast(account_id as varchar) as account_id,
        cast(platform as varchar) as platform,
        cast(report_date as date) as report_date,
        cast(followers as bigint) as followers,
        cast(follows as bigint) as follows,
        cast(unfollows as bigint) as unfollows,
        cast(follows - unfollows as bigint) as net_follows,
        cast(views as bigint) as views,
        cast(views_paid as bigint) as views_paid,
        cast(views_organic as bigint) as views_organic,
        cast(reach as bigint) as reach,
        cast(post_engagements as bigint) as post_engagements,
        cast(page_views as bigint) as page_views,
        cast(posts_published as bigint) as posts_published,
        cast(
            {{ follower_growth('followers', 'previous_day_followers') }} as bigint
        ) as follower_growth,
        {{ follower_growth_rate('followers', 'previous_day_followers') }} as follower_growth_rate,
        {{ engagement_rate('post_engagements', 'reach') }} as engagement_rate,
        {{ engagement_rate('post_engagements', 'views') }} as engagement_rate_by_views,
        {{ engagement_rate('post_engagements', 'followers') }} as engagement_rate_by_followers,
        {{ share_of_paid('views_paid', 'views') }} as share_of_paid_views

    from in_window

)

select * from final
