with

source as (

    select * from {{ source('x', 'x__posts') }}

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
        conversation_id as platform_conversation_id,

        -- attributes
        text as message,
        permalink_url,
        lang,
        media_type,
        link_url,
        -- X has no post type: the format follows the attached media, then a link
        case
            when media_type in ('video', 'animated_gif') then 'video'
            when media_type = 'photo' then 'photo'
            when link_url is not null then 'link'
            -- the tweet activity export says nothing of media or links: unknown, not text
            when _source = 'csv' then 'other'
            else 'text'
        end as format,

        -- dates and timestamps
        created_at as published_at,
        {{ date_in_zone('created_at', 'Europe/Paris') }} as published_date,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
