with

source as (

    select * from {{ source('mastodon', 'mastodon__account_snapshots') }}

),

final as (

    select
        -- ids
        'mastodon:' || account_id as account_id,
        'mastodon' as platform,
        account_id as platform_account_id,
        _account_key as account_key,

        -- attributes
        display_name as account_name,
        username,
        acct,
        url as account_url,
        cast(null as varchar) as category,

        -- counters as of fetched_at
        cast(followers_count as bigint) as followers,
        cast(following_count as bigint) as following,
        cast(statuses_count as bigint) as posts_total,

        -- dates and timestamps
        last_status_at as last_status_date,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
