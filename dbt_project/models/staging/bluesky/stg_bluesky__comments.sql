{{ config(meta={'data_tests_recent_column': '_ds'}) }}

with

source as (

    select * from {{ source('bluesky', 'bluesky__comments') }}

),

final as (

    select
        -- ids (a reply's AT URI holds the replier's DID: keyed by post URI and rkey instead)
        'bluesky:' || post_uri || '#' || rkey as comment_id,
        rkey as platform_comment_id,
        'bluesky:' || post_uri || '#' || parent_rkey as parent_comment_id,
        'bluesky:' || post_uri as post_id,
        'bluesky:' || did as account_id,
        'bluesky' as platform,
        _account_key as account_key,

        -- attributes
        text as message,
        author_pseudo_id,
        is_from_account as is_from_page,

        -- counters as of fetched_at
        cast(like_count as bigint) as likes,
        cast(reply_count as bigint) as direct_replies,

        -- timestamps
        created_at as commented_at,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
