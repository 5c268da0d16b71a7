{{ config(meta={'data_tests_recent_column': '_ds'}) }}

with

source as (

    select * from {{ source('facebook', 'facebook__comments') }}

),

final as (

    select
        -- ids
        'facebook:' || comment_id as comment_id,
        comment_id as platform_comment_id,
        'facebook:' || parent_comment_id as parent_comment_id,
        'facebook:' || post_id as post_id,
        'facebook:' || page_id as account_id,
        'facebook' as platform,
        _account_key as account_key,

        -- attributes
        message,
        author_pseudo_id,
        is_from_page,
        permalink_url,

        -- counters as of fetched_at
        cast(like_count as bigint) as likes,

        -- timestamps
        created_time as commented_at,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
