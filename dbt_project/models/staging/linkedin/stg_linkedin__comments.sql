{{ config(meta={'data_tests_recent_column': '_ds'}) }}

with

source as (

    select * from {{ source('linkedin', 'linkedin__comments') }}

),

final as (

    select
        -- ids
        'linkedin:' || comment_urn as comment_id,
        comment_urn as platform_comment_id,
        'linkedin:' || parent_comment_urn as parent_comment_id,
        'linkedin:' || post_urn as post_id,
        'linkedin:' || organization_id as account_id,
        'linkedin' as platform,
        _account_key as account_key,

        -- attributes
        message,
        author_pseudo_id,
        is_from_account as is_from_page,

        -- counters as of fetched_at
        cast(like_count as bigint) as likes,
        cast(reply_count as bigint) as replies,

        -- timestamps
        created_at as commented_at,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
