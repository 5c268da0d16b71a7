with

source as (

    select * from {{ source('bluesky', 'bluesky__posts') }}

),

final as (

    select
        -- ids
        'bluesky:' || post_uri as post_id,
        post_uri as platform_post_id,
        'bluesky:' || did as account_id,
        'bluesky' as platform,
        did as platform_account_id,
        _account_key as account_key,

        -- attributes
        nullif(text, '') as message,
        permalink_url,
        embed_type,
        case
            when embed_type = 'images' then 'photo'
            when embed_type = 'video' then 'video'
            when embed_type = 'external' then 'link'
            when embed_type is null then 'text'
            else 'other'
        end as format,
        external_uri,
        langs,

        -- lifetime counters as of fetched_at (Bluesky has no views, reach or clicks)
        cast(like_count as bigint) as reactions,
        cast(repost_count as bigint) as reposts,
        cast(quote_count as bigint) as quotes,
        cast(repost_count as bigint) + cast(quote_count as bigint) as shares,
        cast(reply_count as bigint) as direct_replies,
        cast(comments_total_count as bigint) as comments,

        -- dates and timestamps
        created_at as published_at,
        {{ date_in_zone('created_at', 'Europe/Paris') }} as published_date,
        indexed_at,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
