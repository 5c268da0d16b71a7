with

source as (

    select * from {{ source('linkedin', 'linkedin__post_statistics') }}

),

final as (

    select
        -- ids
        'linkedin:' || post_urn as post_id,
        post_urn as platform_post_id,
        'linkedin:' || organization_id as account_id,
        'linkedin' as platform,
        organization_id as platform_account_id,
        _account_key as account_key,

        -- lifetime organic measures as of fetched_at (NULL past the 12-month window)
        cast(impression_count as bigint) as views_organic,
        cast(unique_impressions_count as bigint) as reach_organic,
        cast(click_count as bigint) as clicks,
        cast(like_count as bigint) as reactions,
        cast(comment_count as bigint) as comments,
        cast(share_count as bigint) as shares,
        cast(engagement as double) as engagement_ratio,

        -- reactions by type and comment counts (social metadata)
        cast(reaction_like_count as bigint) as reactions_like,
        cast(reaction_praise_count as bigint) as reactions_praise,
        cast(reaction_empathy_count as bigint) as reactions_empathy,
        cast(reaction_interest_count as bigint) as reactions_interest,
        cast(reaction_appreciation_count as bigint) as reactions_appreciation,
        cast(reaction_entertainment_count as bigint) as reactions_entertainment,
        cast(comments_count as bigint) as comments_total,
        cast(top_level_comments_count as bigint) as top_level_comments,

        -- timestamps
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
