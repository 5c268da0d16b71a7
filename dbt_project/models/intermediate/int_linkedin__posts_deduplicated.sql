with

posts as (

    select * from {{ ref('stg_linkedin__posts') }}

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
        -- LinkedIn's own type: the post's media type (image, video, article, none...)
        media_type as status_type,
        format,
        _ds,
        _extracted_at

    from ranked
    where extraction_rank = 1

)

select * from final
