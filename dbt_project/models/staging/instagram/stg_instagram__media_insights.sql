with

source as (

    select * from {{ source('instagram', 'instagram__media_insights') }}

),

final as (

    select
        -- ids
        'instagram:' || media_id as post_id,
        media_id as platform_post_id,
        'instagram:' || ig_user_id as account_id,
        'instagram' as platform,
        ig_user_id as platform_account_id,
        _account_key as account_key,

        -- measure
        media_product_type,
        metric as metric_name,
        period,
        cast(value as bigint) as metric_value,

        -- timestamps
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
