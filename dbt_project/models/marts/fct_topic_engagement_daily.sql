{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['topic', 'account_id', 'activity_date'],
        on_schema_change='fail',
    )
}}

-- Per topic, account and activity day: what the topic's posts gained that day
-- (fct_post_daily) and how many were published that Europe/Paris day. A post with
-- several topics counts in full under each one; the *_weighted columns count it once
-- in total (topic_weight). Incremental: a build recomputes whole days, every day that
-- the last `reprocess_days` snapshot dates measured (a post read for the first time
-- counts on its publication day, which can be older) and the last `reprocess_days`
-- publication days.
with

post_daily as (

    select * from {{ ref('fct_post_daily') }}

),

posts as (

    select * from {{ ref('dim_posts') }}

),

post_topics as (

    select * from {{ ref('bdg_post_topics') }}

),

-- the days to (re)build: every day on a full build
days_to_build as (

    select activity_date
    from post_daily
    where true {{ incremental_window('snapshot_date', 'activity_date') }}

    union

    select published_date as activity_date
    from posts
    where true {{ incremental_window('published_date', 'activity_date') }}

),

activity_by_topic as (

    select
        post_topics.topic,
        post_daily.account_id,
        post_daily.platform,
        post_daily.activity_date,
        count(distinct post_daily.post_id) as posts_measured,
        sum(post_daily.views) as views,
        sum(post_daily.reach) as reach,
        sum(post_daily.reactions) as reactions,
        sum(post_daily.comments) as comments,
        sum(post_daily.shares) as shares,
        sum(post_daily.clicks) as clicks,
        sum(post_daily.engagements) as engagements,
        -- rounded: a parallel float sum can differ in its last bits between two runs
        round(sum(post_daily.engagements * post_topics.topic_weight), 9) as engagements_weighted

    from post_daily
    inner join days_to_build
        on post_daily.activity_date = days_to_build.activity_date
    inner join post_topics
        on post_daily.post_id = post_topics.post_id
    group by
        post_topics.topic,
        post_daily.account_id,
        post_daily.platform,
        post_daily.activity_date

),

publications_by_topic as (

    select
        post_topics.topic,
        posts.account_id,
        posts.platform,
        posts.published_date as activity_date,
        count(*) as posts_published,
        round(sum(post_topics.topic_weight), 9) as posts_published_weighted

    from posts
    inner join days_to_build
        on posts.published_date = days_to_build.activity_date
    inner join post_topics
        on posts.post_id = post_topics.post_id
    group by
        post_topics.topic,
        posts.account_id,
        posts.platform,
        posts.published_date

),

joined as (

    select
        coalesce(activity_by_topic.topic, publications_by_topic.topic) as topic,
        coalesce(activity_by_topic.account_id, publications_by_topic.account_id) as account_id,
        coalesce(activity_by_topic.platform, publications_by_topic.platform) as platform,
        coalesce(activity_by_topic.activity_date, publications_by_topic.activity_date) as activity_date,
        coalesce(publications_by_topic.posts_published, 0) as posts_published,
        coalesce(publications_by_topic.posts_published_weighted, 0) as posts_published_weighted,
        coalesce(activity_by_topic.posts_measured, 0) as posts_measured,
        activity_by_topic.views,
        activity_by_topic.reach,
        activity_by_topic.reactions,
        activity_by_topic.comments,
        activity_by_topic.shares,
        activity_by_topic.clicks,
        activity_by_topic.engagements,
        activity_by_topic.engagements_weighted

    from activity_by_topic
    full outer join publications_by_topic
        on activity_by_topic.topic = publications_by_topic.topic
        and activity_by_topic.account_id = publications_by_topic.account_id
        and activity_by_topic.activity_date = publications_by_topic.activity_date

),

final as (

    select
        cast(topic as varchar) as topic,
        cast(account_id as varchar) as account_id,
        cast(platform as varchar) as platform,
        cast(activity_date as date) as activity_date,
        cast(posts_published as bigint) as posts_published,
        cast(posts_published_weighted as double) as posts_published_weighted,
        cast(posts_measured as bigint) as posts_measured,
        cast(views as bigint) as views,
        cast(reach as bigint) as reach,
        cast(reactions as bigint) as reactions,
        cast(comments as bigint) as comments,
        cast(shares as bigint) as shares,
        cast(clicks as bigint) as clicks,
        cast(engagements as bigint) as engagements,
        cast(engagements_weighted as double) as engagements_weighted

    from joined

)

select * from final
