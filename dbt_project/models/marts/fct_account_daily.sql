with

account_daily as (

    select * from {{ ref('int_account_daily_unioned') }}

),

posts as (

    select * from {{ ref('int_posts_unioned') }}

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

final as (

    select
        cast(account_daily.account_id as varchar) as account_id,
        cast(account_daily.platform as varchar) as platform,
        cast(account_daily.report_date as date) as report_date,
        cast(account_daily.followers as bigint) as followers,
        cast(account_daily.follows as bigint) as follows,
        cast(account_daily.unfollows as bigint) as unfollows,
        cast(account_daily.follows - account_daily.unfollows as bigint) as net_follows,
        cast(account_daily.views as bigint) as views,
        cast(account_daily.views_paid as bigint) as views_paid,
        cast(account_daily.views_organic as bigint) as views_organic,
        cast(account_daily.reach as bigint) as reach,
        cast(account_daily.post_engagements as bigint) as post_engagements,
        cast(account_daily.page_views as bigint) as page_views,
        cast(coalesce(posts_per_day.posts_published, 0) as bigint) as posts_published

    from account_daily
    left join posts_per_day
        on account_daily.account_id = posts_per_day.account_id
        and account_daily.report_date = posts_per_day.published_utc_date

)

select * from final
