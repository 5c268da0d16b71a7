{{ config(meta={'data_tests_recent_column': '_ds'}) }}

with

source as (

    select * from {{ source('instagram', 'instagram__comments') }}

),

final as (

    select
        -- ids
        'instagram:' || comment_id as comment_id,
        comment_id as platform_comment_id,
        'instagram:' || parent_comment_id as parent_comment_id,
        'instagram:' || media_id as post_id,
        'instagram:' || ig_user_id as account_id,
        'instagram' as platform,
        _account_key as account_key,

        -- attributes
        text as message,
        author_pseudo_id,
        is_from_account as is_from_page,

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
