with

organization_snapshots as (

    select * from {{ ref('stg_linkedin__organization_snapshots') }}

),

follower_statistics as (

    select * from {{ ref('stg_linkedin__follower_statistics') }}

),

share_statistics as (

    select * from {{ ref('stg_linkedin__share_statistics') }}

),

posts as (

    select * from {{ ref('stg_linkedin__posts') }}

),

-- every organization any extraction has seen, so facts never point at a missing account
accounts_seen as (

    select
        account_id,
        platform_account_id,
        account_key,
        _ds,
        _extracted_at
    from organization_snapshots

    union all

    select
        account_id,
        platform_account_id,
        account_key,
        _ds,
        _extracted_at
    from follower_statistics

    union all

    select
        account_id,
        platform_account_id,
        account_key,
        _ds,
        _extracted_at
    from share_statistics

    union all

    select
        account_id,
        platform_account_id,
        account_key,
        _ds,
        _extracted_at
    from posts

),

accounts_ranked as (

    select
        *,
        {{ latest_extraction_first(['account_id']) }} as extraction_rank
    from accounts_seen

),

snapshots_ranked as (

    select
        *,
        {{ latest_extraction_first(['account_id']) }} as extraction_rank
    from organization_snapshots

),

latest_snapshots as (

    select * from snapshots_ranked
    where extraction_rank = 1

),

final as (

    select
        accounts_ranked.account_id,
        'linkedin' as platform,
        accounts_ranked.platform_account_id,
        accounts_ranked.account_key,
        latest_snapshots.account_name,
        latest_snapshots.account_url,
        -- LinkedIn industries are not read by the connector
        cast(null as varchar) as category,
        accounts_ranked._ds,
        accounts_ranked._extracted_at

    from accounts_ranked
    left join latest_snapshots
        on accounts_ranked.account_id = latest_snapshots.account_id
    where accounts_ranked.extraction_rank = 1

)

select * from final
