{{ config(meta={'data_tests_recent_column': 'snapshot_date'}) }}

with

media as (

    select * from {{ ref('stg_instagram__media') }}

),

media_insights as (

    select * from {{ ref('stg_instagram__media_insights') }}

),

insights_ranked as (

    select
        *,
        {{ latest_extraction_first(['post_id', 'metric_name', '_ds']) }} as extraction_rank
    from media_insights
    where period = 'lifetime'

),

insights_pivoted as (

    select
        post_id,
        account_id,
        _ds as snapshot_date,
        max(case when metric_name = 'views' then metric_value end) as views,
        max(case when metric_name = 'reach' then metric_value end) as reach,
        max(case when metric_name = 'likes' then metric_value end) as likes,
        max(case when metric_name = 'comments' then metric_value end) as comments,
        max(case when metric_name = 'shares' then metric_value end) as shares,
        max(_extracted_at) as _extracted_at

    from insights_ranked
    where extraction_rank = 1
    group by
        post_id,
        account_id,
        _ds

),

media_ranked as (

    select
        *,
        {{ latest_extraction_first(['post_id', '_ds']) }} as extraction_rank
    from media

),

media_latest as (

    select
        post_id,
        account_id,
        _ds as snapshot_date,
        likes,
        comments,
        _extracted_at
    from media_ranked
    where extraction_rank = 1

),

joined as (

    select
        coalesce(media_latest.post_id, insights_pivoted.post_id) as post_id,
        coalesce(media_latest.account_id, insights_pivoted.account_id) as account_id,
        'instagram' as platform,
        coalesce(media_latest.snapshot_date, insights_pivoted.snapshot_date) as snapshot_date,
        insights_pivoted.views,
        -- Instagram has no paid/organic split and no clicks metric: NULL, never 0
        cast(null as bigint) as views_paid,
        cast(null as bigint) as views_organic,
        insights_pivoted.reach,
        -- insights `likes` / `comments` first, the media node's like_count /
        -- comments_count when the insights were not read
        coalesce(insights_pivoted.likes, media_latest.likes) as reactions,
        coalesce(insights_pivoted.comments, media_latest.comments) as comments,
        insights_pivoted.shares,
        cast(null as bigint) as clicks,
        greatest(media_latest._extracted_at, insights_pivoted._extracted_at) as _extracted_at

    from media_latest
    full outer join insights_pivoted
        on media_latest.post_id = insights_pivoted.post_id
        and media_latest.snapshot_date = insights_pivoted.snapshot_date

),

final as (

    select * from joined

)

select * from final
