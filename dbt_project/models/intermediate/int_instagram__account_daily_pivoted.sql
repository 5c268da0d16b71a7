{{ config(meta={'data_tests_recent_column': 'report_date'}) }}

with

account_insights as (

    select * from {{ ref('stg_instagram__account_insights') }}

),

account_snapshots as (

    select * from {{ ref('stg_instagram__account_snapshots') }}

),

ranked as (

    select
        *,
        {{ latest_extraction_first(
            ['account_id', 'metric_name', 'metric_type', 'report_date']
        ) }} as extraction_rank
    from account_insights
    where period = 'day'

),

pivoted as (

    select
        account_id,
        report_date,
        -- `follower_count` is the day's new followers, not the follower total
        max(case when metric_name = 'follower_count' then metric_value end) as follows,
        max(case when metric_name = 'views' then metric_value end) as views,
        -- reach is served as time_series and as total_value, with the same meaning
        coalesce(
            max(
                case
                    when metric_name = 'reach' and metric_type = 'time_series'
                        then metric_value
                end
            ),
            max(
                case
                    when metric_name = 'reach' and metric_type = 'total_value'
                        then metric_value
                end
            )
        ) as reach,
        max(case when metric_name = 'total_interactions' then metric_value end) as post_engagements,
        max(_extracted_at) as _extracted_at

    from ranked
    where extraction_rank = 1
    group by
        account_id,
        report_date

),

-- followers_count is a snapshot: it gives the followers of its own `_ds` only
snapshots_ranked as (

    select
        *,
        {{ latest_extraction_first(['account_id', '_ds']) }} as extraction_rank
    from account_snapshots

),

followers as (

    select
        account_id,
        _ds as report_date,
        followers,
        _extracted_at
    from snapshots_ranked
    where extraction_rank = 1

),

joined as (

    select
        coalesce(pivoted.account_id, followers.account_id) as account_id,
        'instagram' as platform,
        coalesce(pivoted.report_date, followers.report_date) as report_date,
        followers.followers,
        pivoted.follows,
        -- Instagram serves no unfollows, no paid/organic split and no profile views
        cast(null as bigint) as unfollows,
        pivoted.views,
        cast(null as bigint) as views_paid,
        cast(null as bigint) as views_organic,
        pivoted.reach,
        pivoted.post_engagements,
        cast(null as bigint) as page_views,
        greatest(pivoted._extracted_at, followers._extracted_at) as _extracted_at

    from pivoted
    full outer join followers
        on pivoted.account_id = followers.account_id
        and pivoted.report_date = followers.report_date

),

final as (

    select * from joined

)

select * from final
