{{ config(meta={'data_tests_recent_column': 'snapshot_date'}) }}

with

post_statistics as (

    select * from {{ ref('stg_linkedin__post_statistics') }}

),

ranked as (

    select
        *,
        {{ latest_extraction_first(['post_id', '_ds']) }} as extraction_rank
    from post_statistics

),

final as (

    select
        post_id,
        account_id,
        'linkedin' as platform,
        _ds as snapshot_date,
        -- LinkedIn's organization statistics are organic only: total and paid views
        -- are unknown (NULL), impressionCount is the organic part
        cast(null as bigint) as views,
        cast(null as bigint) as views_paid,
        views_organic,
        reach_organic as reach,
        reactions,
        comments,
        shares,
        clicks,
        _extracted_at

    from ranked
    where extraction_rank = 1

)

select * from final
