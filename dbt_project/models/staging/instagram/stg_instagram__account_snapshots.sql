with

source as (

    select * from {{ source('instagram', 'instagram__account_snapshots') }}

),

final as (

    select
        -- ids
        'instagram:' || ig_user_id as account_id,
        'instagram' as platform,
        ig_user_id as platform_account_id,
        _account_key as account_key,

        -- attributes
        username,
        name as account_name,
        'https://www.instagram.com/' || username || '/' as account_url,

        -- counters
        cast(followers_count as bigint) as followers,
        cast(follows_count as bigint) as following,
        cast(media_count as bigint) as media_count,

        -- timestamps
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
