with

platforms as (

    select * from {{ ref('platforms') }}

),

final as (

    select
        cast(platform as varchar) as platform,
        cast(platform_name as varchar) as platform_name,
        cast(has_daily_series as boolean) as has_daily_series,
        cast(has_views as boolean) as has_views,
        cast(has_paid_split as boolean) as has_paid_split,
        cast(has_reach as boolean) as has_reach,
        cast(has_clicks as boolean) as has_clicks,
        cast(notes as varchar) as notes

    from platforms

)

select * from final
