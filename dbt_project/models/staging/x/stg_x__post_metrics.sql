with

source as (

    select * from {{ source('x', 'x__post_metrics') }}

),

final as (

    select
        -- ids
        'x:' || post_id as post_id,
        post_id as platform_post_id,
        'x:' || user_id as account_id,
        'x' as platform,
        user_id as platform_account_id,
        _account_key as account_key,

        -- public counters (every post, any token)
        cast(impression_count as bigint) as views,
        cast(like_count as bigint) as reactions,
        cast(reply_count as bigint) as comments,
        cast(retweet_count as bigint) as reposts,
        cast(quote_count as bigint) as quotes,
        cast(retweet_count as bigint) + cast(quote_count as bigint) as shares,
        cast(bookmark_count as bigint) as bookmarks,

        -- private counters: posts under 30 days old only, NULL otherwise
        has_private_metrics,
        case
            when has_private_metrics then coalesce(cast(promoted_impression_count as bigint), 0)
        end as views_paid,
        cast(organic_impression_count as bigint) as views_organic,
        cast(url_link_clicks as bigint) as clicks,
        cast(user_profile_clicks as bigint) as profile_clicks,
        cast(engagements as bigint) as platform_engagements,
        is_promoted as is_paid,

        -- timestamps
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
