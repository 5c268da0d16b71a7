{#-
    The N best posts of each account and ISO week of publication (Europe/Paris), by
    two rankings: `engagements`, and `engagement_rate` among the posts reaching at
    least `top_posts_min_reach` people (docs block top_posts_weekly).
-#}
{%- set top_n = var('top_posts_n', 5) | int -%}
{%- set min_reach = var('top_posts_min_reach', 100) | int -%}

with

posts as (

    select * from {{ ref('dim_posts') }}

),

post_engagement as (

    select * from {{ ref('fct_post_engagement') }}

),

post_topics as (

    select * from {{ ref('bdg_post_topics') }}

),

topics_per_post as (

    select
        post_id,
        string_agg(topic, ', ' order by topic) as topics
    from post_topics
    group by post_id

),

-- every post with its lifetime metrics as of its latest snapshot
measured_posts as (

    select
        posts.post_id,
        posts.account_id,
        posts.platform,
        posts.published_at,
        posts.published_date,
        {{ iso_week_start('posts.published_date') }} as week_start,
        posts.format,
        posts.permalink_url,
        posts.message,
        topics_per_post.topics,
        post_engagement.snapshot_date,
        post_engagement.views,
        post_engagement.reach,
        post_engagement.engagements,
        post_engagement.engagement_rate,
        post_engagement.is_paid

    from posts
    inner join post_engagement
        on posts.post_id = post_engagement.post_id
    left join topics_per_post
        on posts.post_id = topics_per_post.post_id

),

by_engagements as (

    select
        *,
        'engagements' as ranking,
        row_number() over (
            partition by account_id, week_start
            order by engagements desc nulls last, published_at, post_id
        ) as rank,
        row_number() over (
            partition by platform, week_start
            order by engagements desc nulls last, published_at, post_id
        ) as platform_rank
    from measured_posts
    where engagements is not null

),

by_engagement_rate as (

    select
        *,
        'engagement_rate' as ranking,
        row_number() over (
            partition by account_id, week_start
            order by engagement_rate desc, published_at, post_id
        ) as rank,
        row_number() over (
            partition by platform, week_start
            order by engagement_rate desc, published_at, post_id
        ) as platform_rank
    from measured_posts
    where engagement_rate is not null
        and reach >= {{ min_reach }}

),

ranked as (

    select * from by_engagements
    union all
    select * from by_engagement_rate

),

final as (

    select
        cast(isoyear(week_start) as integer) as iso_year,
        cast(week(week_start) as integer) as iso_week,
        cast(week_start as date) as week_start,
        cast(account_id as varchar) as account_id,
        cast(platform as varchar) as platform,
        cast(ranking as varchar) as ranking,
        cast(rank as integer) as rank,
        cast(platform_rank as integer) as platform_rank,
        cast(post_id as varchar) as post_id,
        cast(published_at as timestamp with time zone) as published_at,
        cast(published_date as date) as published_date,
        cast(format as varchar) as format,
        cast(topics as varchar) as topics,
        cast(permalink_url as varchar) as permalink_url,
        cast(left(message, 200) as varchar) as message_excerpt,
        cast(snapshot_date as date) as snapshot_date,
        cast(views as bigint) as views,
        cast(reach as bigint) as reach,
        cast(engagements as bigint) as engagements,
        cast(engagement_rate as double) as engagement_rate,
        cast(is_paid as boolean) as is_paid

    from ranked
    where rank <= {{ top_n }}

)

select * from final
