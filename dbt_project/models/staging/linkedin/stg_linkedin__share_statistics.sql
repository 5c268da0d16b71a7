with

source as (

    select * from {{ source('linkedin', 'linkedin__share_statistics') }}

),

final as (

    select
        -- ids
        'linkedin:' || organization_id as account_id,
        'linkedin' as platform,
        organization_id as platform_account_id,
        _account_key as account_key,

        -- organic measures (LinkedIn excludes sponsored activity)
        cast(impression_count as bigint) as views_organic,
        cast(unique_impressions_count as bigint) as reach_organic,
        cast(click_count as bigint) as clicks,
        cast(like_count as bigint) as reactions,
        cast(comment_count as bigint) as comments,
        cast(share_count as bigint) as shares,
        cast(engagement as double) as engagement_ratio,

        -- dates: DAY intervals are UTC days
        time_range_start as period_start_at,
        time_range_end as period_end_at,
        {{ date_in_zone('time_range_start', 'UTC') }} as report_date,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
