with

posts as (

    select * from {{ ref('stg_facebook__posts') }}

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
        status_type,
        case
            when status_type = 'added_photos' then 'photo'
            when status_type = 'added_video' and permalink_url like '%/reel/%' then 'reel'
            when status_type = 'added_video' then 'video'
            when status_type = 'shared_story' then 'link'
            when status_type = 'mobile_status_update' then 'text'
            else 'other'
        end as format,
        _ds,
        _extracted_at

    from ranked
    where extraction_rank = 1

)

select * from final
