with

source as (

    select * from {{ source('linkedin', 'linkedin__follower_statistics') }}

),

final as (

    select
        -- ids
        'linkedin:' || organization_id as account_id,
        'linkedin' as platform,
        organization_id as platform_account_id,
        _account_key as account_key,

        -- measures: LinkedIn's gains are net of unfollows
        cast(organic_follower_gain as bigint) as organic_follower_gain,
        cast(paid_follower_gain as bigint) as paid_follower_gain,
        cast(organic_follower_gain as bigint) + cast(paid_follower_gain as bigint) as net_follows,

        -- dates: DAY intervals are UTC days
        time_range_start as period_start_at,
        time_range_end as period_end_at,
        {{ date_in_zone('time_range_start', 'UTC') }} as report_date,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
