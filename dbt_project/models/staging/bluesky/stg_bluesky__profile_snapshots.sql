with

source as (

    select * from {{ source('bluesky', 'bluesky__profile_snapshots') }}

),

final as (

    select
        -- ids
        'bluesky:' || did as account_id,
        'bluesky' as platform,
        did as platform_account_id,
        _account_key as account_key,

        -- attributes
        display_name as account_name,
        handle,
        'https://bsky.app/profile/' || coalesce(handle, did) as account_url,
        cast(null as varchar) as category,

        -- counters as of fetched_at
        cast(followers_count as bigint) as followers,
        cast(follows_count as bigint) as following,
        cast(posts_count as bigint) as posts_total,

        -- timestamps
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
