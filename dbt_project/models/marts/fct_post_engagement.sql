-- A table rebuilt on every build, not incremental: a post's latest snapshot moves
-- forward each day it is re-read. It reads the fct_post_snapshots table (one row per
-- post and snapshot date), never the intermediate views over the raw history.
with

post_snapshots as (

    select * from {{ ref('fct_post_snapshots') }}

),

posts as (

    select * from {{ ref('dim_posts') }}

),

snapshots_ranked as (

    select
        *,
        row_number() over (
            partition by post_id
            order by snapshot_date desc
        ) as snapshot_rank
    from post_snapshots

),

latest_snapshots as (

    select * from snapshots_ranked
    where snapshot_rank = 1

),

final as (

    select
        cast(posts.post_id as varchar) as post_id,
        cast(posts.account_id as varchar) as account_id,
        cast(posts.platform as varchar) as platform,
        cast(posts.published_date as date) as published_date,
        cast(posts.format as varchar) as format,
        cast(latest_snapshots.snapshot_date as date) as snapshot_date,
        cast(latest_snapshots.views as bigint) as views,
        cast(latest_snapshots.views_paid as bigint) as views_paid,
        cast(latest_snapshots.views_organic as bigint) as views_organic,
        cast(latest_snapshots.reach as bigint) as reach,
        cast(latest_snapshots.reactions as bigint) as reactions,
        cast(latest_snapshots.comments as bigint) as comments,
        cast(latest_snapshots.shares as bigint) as shares,
        cast(latest_snapshots.clicks as bigint) as clicks,
        cast(latest_snapshots.engagements as bigint) as engagements,
        cast(latest_snapshots.engagement_rate as double) as engagement_rate,
        cast(latest_snapshots.is_paid as boolean) as is_paid,
        cast(latest_snapshots.account_followers as bigint) as account_followers,
        cast(latest_snapshots.engagement_rate_by_views as double) as engagement_rate_by_views,
        cast(latest_snapshots.engagement_rate_by_followers as double) as engagement_rate_by_followers,
        cast(latest_snapshots.amplification_rate as double) as amplification_rate,
        cast(latest_snapshots.conversation_rate as double) as conversation_rate,
        cast(latest_snapshots.share_of_paid_views as double) as share_of_paid_views

    from posts
    inner join latest_snapshots
        on posts.post_id = latest_snapshots.post_id

)

select * from final
