{{ config(meta={'data_tests_recent_column': 'snapshot_date'}) }}

with

posts as (

    select * from {{ ref('stg_facebook__posts') }}

),

post_insights as (

    select * from {{ ref('stg_facebook__post_insights') }}

),

insights_ranked as (

    select
        *,
        {{ latest_extraction_first(
            ['post_id', 'metric_name', 'breakdown', 'breakdown_value', '_ds']
        ) }} as extraction_rank
    from post_insights
    where period = 'lifetime'

),

insights_pivoted as (

    select
        post_id,
        account_id,
        _ds as snapshot_date,
        {{ pick_metric('post_media_view') }} as views,
        {{ pick_metric('post_media_view', 'is_from_ads', 'true') }} as views_paid,
        {{ pick_metric('post_media_view', 'is_from_ads', 'false') }} as views_organic,
        {{ pick_metric('post_total_media_view_unique') }} as reach,
        -- by type from the API; the total only from a Meta Business Suite export (CSV);
        -- an empty reactions dict lands as no rows: the post was read, it has 0 reactions
        coalesce(
            sum(
                case
                    when metric_name = 'post_reactions_by_type_total' and breakdown = 'type'
                        then metric_value
                end
            ),
            {{ pick_metric('post_reactions_total') }},
            0
        ) as reactions,
        {{ pick_metric('post_clicks') }} as clicks,
        max(_extracted_at) as _extracted_at

    from insights_ranked
    where extraction_rank = 1
    group by
        post_id,
        account_id,
        _ds

),

posts_ranked as (

    select
        *,
        {{ latest_extraction_first(['post_id', '_ds']) }} as extraction_rank
    from posts

),

posts_latest as (

    select
        post_id,
        account_id,
        _ds as snapshot_date,
        comments,
        shares,
        _extracted_at
    from posts_ranked
    where extraction_rank = 1

),

joined as (

    select
        coalesce(posts_latest.post_id, insights_pivoted.post_id) as post_id,
        coalesce(posts_latest.account_id, insights_pivoted.account_id) as account_id,
        'facebook' as platform,
        coalesce(posts_latest.snapshot_date, insights_pivoted.snapshot_date) as snapshot_date,
        insights_pivoted.views,
        insights_pivoted.views_paid,
        insights_pivoted.views_organic,
        insights_pivoted.reach,
        cast(insights_pivoted.reactions as bigint) as reactions,
        posts_latest.comments,
        posts_latest.shares,
        insights_pivoted.clicks,
        greatest(posts_latest._extracted_at, insights_pivoted._extracted_at) as _extracted_at

    from posts_latest
    full outer join insights_pivoted
        on posts_latest.post_id = insights_pivoted.post_id
        and posts_latest.snapshot_date = insights_pivoted.snapshot_date

),

final as (

    select * from joined

)

select * from final
