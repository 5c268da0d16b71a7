with

source as (

    select * from {{ source('x', 'x__user_snapshots') }}

),

final as (

    select
        -- ids
        'x:' || user_id as account_id,
        'x' as platform,
        user_id as platform_account_id,
        _account_key as account_key,

        -- attributes
        name as account_name,
        username,
        'https://x.com/' || username as account_url,
        created_at as account_created_at,

        -- counters as of fetched_at
        cast(followers_count as bigint) as followers,
        cast(following_count as bigint) as following,
        cast(tweet_count as bigint) as posts_count,
        cast(listed_count as bigint) as listed,

        -- timestamps
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
