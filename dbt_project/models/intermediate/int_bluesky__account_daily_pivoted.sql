{{ config(meta={'data_tests_recent_column': 'report_date'}) }}

with

profile_snapshots as (

    select * from {{ ref('stg_bluesky__profile_snapshots') }}

),

-- Bluesky has no daily account series: one follower snapshot per extraction day,
-- the latest `_extracted_at` of that `_ds`
ranked as (

    select
        *,
        {{ latest_extraction_first(['account_id', '_ds']) }} as extraction_rank
    from profile_snapshots

),

final as (

    select
        account_id,
        'bluesky' as platform,
        _ds as report_date,
        followers,
        cast(null as bigint) as follows,
        cast(null as bigint) as unfollows,
        cast(null as bigint) as views,
        cast(null as bigint) as views_paid,
        cast(null as bigint) as views_organic,
        cast(null as bigint) as reach,
        cast(null as bigint) as post_engagements,
        cast(null as bigint) as page_views,
        _extracted_at

    from ranked
    where extraction_rank = 1

)

select * from final
