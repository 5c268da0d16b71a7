with

posts as (

    select * from {{ ref('stg_bluesky__posts') }}

),

ranked as (

    select
        *,
        {{ latest_extraction_first(['post_id']) }} as extraction_rank
    from posts

),

final as (

    select
        post_id,
        platform_post_id,
        account_id,
        platform,
        published_at,
        published_date,
        message,
        permalink_url,
        -- Bluesky has no post type: format is derived in staging from the embed type
        cast(null as varchar) as status_type,
        format,
        _ds,
        _extracted_at

    from ranked
    where extraction_rank = 1

)

select * from final
