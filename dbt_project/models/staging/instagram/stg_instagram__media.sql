with

source as (

    select * from {{ source('instagram', 'instagram__media') }}

),

final as (

    select
        -- ids
        'instagram:' || media_id as post_id,
        media_id as platform_post_id,
        'instagram:' || ig_user_id as account_id,
        'instagram' as platform,
        ig_user_id as platform_account_id,
        _account_key as account_key,

        -- attributes
        caption as message,
        permalink as permalink_url,
        media_type,
        media_product_type,
        case
            when media_product_type = 'REELS' then 'reel'
            when media_product_type = 'STORY' then 'other'
            when media_type in ('IMAGE', 'CAROUSEL_ALBUM') then 'photo'
            when media_type = 'VIDEO' then 'video'
            else 'other'
        end as format,

        -- lifetime counters as of fetched_at
        cast(like_count as bigint) as likes,
        cast(comments_count as bigint) as comments,

        -- dates and timestamps
        "timestamp" as published_at,
        {{ date_in_zone('"timestamp"', 'Europe/Paris') }} as published_date,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
