with

source as (

    select * from {{ source('mastodon', 'mastodon__posts') }}

),

final as (

    select
        -- ids
        'mastodon:' || status_id as post_id,
        status_id as platform_post_id,
        'mastodon:' || account_id as account_id,
        'mastodon' as platform,
        account_id as platform_account_id,
        _account_key as account_key,

        -- attributes
        nullif(text, '') as message,
        url as permalink_url,
        media_type,
        case
            when media_type = 'image' then 'photo'
            when media_type in ('video', 'gifv') then 'video'
            when media_type is not null then 'other'
            when card_url is not null then 'link'
            else 'text'
        end as format,
        cast(media_count as bigint) as media_count,
        card_url,
        language,
        visibility,

        -- lifetime counters as of fetched_at (Mastodon has no views, reach or clicks)
        cast(favourites_count as bigint) as reactions,
        cast(reblogs_count as bigint) as shares,
        cast(replies_count as bigint) as direct_replies,
        cast(comments_total_count as bigint) as comments,

        -- dates and timestamps
        created_at as published_at,
        {{ date_in_zone('created_at', 'Europe/Paris') }} as published_date,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
