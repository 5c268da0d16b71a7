with

account_snapshots as (

    select * from {{ ref('stg_instagram__account_snapshots') }}

),

account_insights as (

    select * from {{ ref('stg_instagram__account_insights') }}

),

media as (

    select * from {{ ref('stg_instagram__media') }}

),

-- every account any extraction has seen, so facts never point at a missing account
accounts_seen as (

    select
        account_id,
        platform_account_id,
        account_key,
        _ds,
        _extracted_at
    from account_snapshots

    union all

    select
        account_id,
        platform_account_id,
        account_key,
        _ds,
        _extracted_at
    from account_insights

    union all

    select
        account_id,
        platform_account_id,
        account_key,
        _ds,
        _extracted_at
    from media

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
    from account_snapshots

),

latest_snapshots as (

    select * from snapshots_ranked
    where extraction_rank = 1

),

final as (

    select
        accounts_ranked.account_id,
        'instagram' as platform,
        accounts_ranked.platform_account_id,
        accounts_ranked.account_key,
        latest_snapshots.account_name,
        latest_snapshots.account_url,
        -- Instagram has no account category in the fields the connector reads
        cast(null as varchar) as category,
        accounts_ranked._ds,
        accounts_ranked._extracted_at

    from accounts_ranked
    left join latest_snapshots
        on accounts_ranked.account_id = latest_snapshots.account_id
    where accounts_ranked.extraction_rank = 1

)

select * from final
