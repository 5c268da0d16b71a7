{{ config(meta={'data_tests_recent_column': '_ds'}) }}

with

source as (

    select * from {{ source('x', 'x__replies') }}

),

final as (

    select
        -- ids
        'x:' || reply_id as comment_id,
        reply_id as platform_comment_id,
        'x:' || parent_reply_id as parent_comment_id,
        'x:' || post_id as post_id,
        'x:' || user_id as account_id,
        'x' as platform,
        _account_key as account_key,

        -- attributes
        text as message,
        author_pseudo_id,
        is_from_account,
        'https://x.com/i/web/status/' || reply_id as permalink_url,

        -- counters as of fetched_at
        cast(like_count as bigint) as likes,

        -- timestamps
        created_at as commented_at,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
