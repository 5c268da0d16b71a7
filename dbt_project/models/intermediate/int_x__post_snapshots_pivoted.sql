{{ config(meta={'data_tests_recent_column': 'snapshot_date'}) }}

with

post_metrics as (

    select * from {{ ref('stg_x__post_metrics') }}

),

-- one metrics read per post and snapshot_date: the latest `_extracted_at` of that `_ds`
ranked as (

    select
        *,
        {{ latest_extraction_first(['post_id', '_ds']) }} as extraction_rank
    from post_metrics

),

final as (

    select
        post_id,
        account_id,
        'x' as platform,
        _ds as snapshot_date,
        views,
        -- private metrics (posts under 30 days old): NULL when not served
        views_paid,
        views_organic,
        -- X serves no unique reach
        cast(null as bigint) as reach,
        reactions,
        comments,
        shares,
        clicks,
        _extracted_at

    from ranked
    where extraction_rank = 1

)

select * from final
