with

posts as (

    select * from {{ ref('int_posts_unioned') }}

),

final as (

    select
        cast(post_id as varchar) as post_id,
        cast(platform_post_id as varchar) as platform_post_id,
        cast(account_id as varchar) as account_id,
        cast(platform as varchar) as platform,
        cast(published_at as timestamp with time zone) as published_at,
        cast(published_date as date) as published_date,
        cast(message as varchar) as message,
        cast(permalink_url as varchar) as permalink_url,
        cast(format as varchar) as format,
        cast(status_type as varchar) as status_type

    from posts

)

select * from final
