{{ config(meta={'data_tests_recent_column': 'snapshot_date'}) }}

with

posts as (

    select * from {{ ref('stg_bluesky__posts') }}

),

-- the posts extraction carries the lifetime counters: one read per post and
-- snapshot_date, the latest `_extracted_at` of that `_ds`
ranked as (

    select
        *,
        {{ latest_extraction_first(['post_id', '_ds']) }} as extraction_rank
    from posts

),

final as (

    select
        post_id,
        account_id,
        'bluesky' as platform,
        _ds as snapshot_date,
        -- Bluesky serves no views, reach or clicks
        cast(null as bigint) as views,
        cast(null as bigint) as views_paid,
        cast(null as bigint) as views_organic,
        cast(null as bigint) as reach,
        reactions,
        comments,
        shares,
        cast(null as bigint) as clicks,
        _extracted_at

    from ranked
    where extraction_rank = 1

)

select * from final
