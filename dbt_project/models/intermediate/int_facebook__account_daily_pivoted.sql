{{ config(meta={'data_tests_recent_column': 'report_date'}) }}

with

page_insights as (

    select * from {{ ref('stg_facebook__page_insights') }}

),

ranked as (

    select
        *,
        {{ latest_extraction_first(
            ['account_id', 'metric_name', 'breakdown', 'breakdown_value', 'report_date']
        ) }} as extraction_rank
    from page_insights
    where period = 'day'

),

latest as (

    select * from ranked
    where extraction_rank = 1

),

pivoted as (

    select
        account_id,
        platform,
        report_date,
        {{ pick_metric('page_follows') }} as followers,
        {{ pick_metric('page_daily_follows_unique') }} as follows,
        {{ pick_metric('page_daily_unfollows_unique') }} as unfollows,
        {{ pick_metric('page_media_view') }} as views,
        {{ pick_metric('page_media_view', 'is_from_ads', 'true') }} as views_paid,
        {{ pick_metric('page_media_view', 'is_from_ads', 'false') }} as views_organic,
        {{ pick_metric('page_total_media_view_unique') }} as reach,
        {{ pick_metric('page_post_engagements') }} as post_engagements,
        {{ pick_metric('page_views_total') }} as page_views,
        max(_extracted_at) as _extracted_at

    from latest
    group by
        account_id,
        platform,
        report_date

),

final as (

    select * from pivoted

)

select * from final
