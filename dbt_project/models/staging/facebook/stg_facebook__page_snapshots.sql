with

source as (

    select * from {{ source('facebook', 'facebook__page_snapshots') }}

),

final as (

    select
        -- ids
        'facebook:' || page_id as account_id,
        'facebook' as platform,
        page_id as platform_account_id,
        _account_key as account_key,

        -- attributes
        name as account_name,
        link as account_url,
        category,

        -- counters
        cast(followers_count as bigint) as followers,
        cast(fan_count as bigint) as fans,

        -- timestamps
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
