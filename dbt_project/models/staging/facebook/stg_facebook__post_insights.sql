with

source as (

    select * from {{ source('facebook', 'facebook__post_insights') }}

),

final as (

    select
        -- ids
        'facebook:' || post_id as post_id,
        post_id as platform_post_id,
        'facebook:' || page_id as account_id,
        'facebook' as platform,
        page_id as platform_account_id,
        _account_key as account_key,

        -- measure
        metric as metric_name,
        period,
        breakdown,
        breakdown_value,
        cast(value as bigint) as metric_value,

        -- timestamps
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
