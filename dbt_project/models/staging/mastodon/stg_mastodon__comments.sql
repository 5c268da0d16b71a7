{{ config(meta={'data_tests_recent_column': '_ds'}) }}

with

source as (

    select * from {{ source('mastodon', 'mastodon__comments') }}

),

final as (

    select
        -- ids
        'mastodon:' || status_id as comment_id,
        status_id as platform_comment_id,
        'mastodon:' || parent_status_id as parent_comment_id,
        'mastodon:' || post_status_id as post_id,
        'mastodon:' || account_id as account_id,
        'mastodon' as platform,
        _account_key as account_key,

        -- attributes
        text as message,
        author_pseudo_id,
        is_from_account as is_from_page,
        visibility,

        -- counters as of fetched_at
        cast(favourites_count as bigint) as likes,
        cast(replies_count as bigint) as direct_replies,

        -- timestamps
        created_at as commented_at,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
