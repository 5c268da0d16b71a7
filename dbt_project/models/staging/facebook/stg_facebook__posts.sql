with

source as (

    select * from {{ source('facebook', 'facebook__posts') }}

),

final as (

    select
        -- ids
        'facebook:' || post_id as post_id,
        post_id as platform_post_id,
        'facebook:' || page_id as account_id,
        'facebook' as platform,
        page_id as platform_account_id,
        _account_key as account_key,

        -- attributes
        message,
        permalink_url,
        status_type,

        -- lifetime counters as of fetched_at
        cast(shares_count as bigint) as shares,
        cast(comments_total_count as bigint) as comments,

        -- dates and timestamps
        created_time as published_at,
        {{ date_in_zone('created_time', 'Europe/Paris') }} as published_date,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
