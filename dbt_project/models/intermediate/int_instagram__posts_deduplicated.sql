with

media as (

    select * from {{ ref('stg_instagram__media') }}

),

ranked as (

    select
        *,
        {{ latest_extraction_first(['post_id']) }} as extraction_rank
    from media

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
        -- Instagram's own type: media_type (IMAGE, CAROUSEL_ALBUM, VIDEO); reels are
        -- told apart by media_product_type, which the staging format already uses
        media_type as status_type,
        format,
        _ds,
        _extracted_at

    from ranked
    where extraction_rank = 1

)

select * from final
