with

source as (

    select * from {{ source('instagram', 'instagram__audience_demographics') }}

),

final as (

    select
        -- ids
        'instagram:' || ig_user_id as account_id,
        'instagram' as platform,
        ig_user_id as platform_account_id,
        _account_key as account_key,

        -- measure
        metric as metric_name,
        timeframe,
        breakdown as dimension,
        breakdown_value as dimension_value,
        -- followers (follower_demographics) or accounts reached (reached_audience_demographics)
        cast(value as bigint) as audience_count,

        -- timestamps
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
