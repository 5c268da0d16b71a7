with

post_snapshots as (

    select * from {{ ref('int_post_snapshots_unioned') }}

),

final as (

    select
        cast(post_id as varchar) as post_id,
        cast(account_id as varchar) as account_id,
        cast(platform as varchar) as platform,
        cast(snapshot_date as date) as snapshot_date,
        cast(views as bigint) as views,
        cast(views_paid as bigint) as views_paid,
        cast(views_organic as bigint) as views_organic,
        cast(reach as bigint) as reach,
        cast(reactions as bigint) as reactions,
        cast(comments as bigint) as comments,
        cast(shares as bigint) as shares,
        cast(clicks as bigint) as clicks,
        cast(
            {{ sum_of_present(['reactions', 'comments', 'shares', 'clicks']) }}
            as bigint
        ) as engagements,
        {{ safe_ratio(
            sum_of_present(['reactions', 'comments', 'shares', 'clicks']),
            'reach'
        ) }} as engagement_rate,
        cast(views_paid > 0 as boolean) as is_paid

    from post_snapshots

)

select * from final
