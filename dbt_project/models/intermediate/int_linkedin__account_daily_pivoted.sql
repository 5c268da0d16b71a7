{{ config(meta={'data_tests_recent_column': 'report_date'}) }}

with

follower_statistics as (

    select * from {{ ref('stg_linkedin__follower_statistics') }}

),

share_statistics as (

    select * from {{ ref('stg_linkedin__share_statistics') }}

),

organization_snapshots as (

    select * from {{ ref('stg_linkedin__organization_snapshots') }}

),

gains_ranked as (

    select
        *,
        {{ latest_extraction_first(['account_id', 'report_date']) }} as extraction_rank
    from follower_statistics

),

gains as (

    select * from gains_ranked
    where extraction_rank = 1

),

shares_ranked as (

    select
        *,
        {{ latest_extraction_first(['account_id', 'report_date']) }} as extraction_rank
    from share_statistics

),

share_days as (

    select * from shares_ranked
    where extraction_rank = 1

),

-- firstDegreeSize is a snapshot: the followers at the end of its own `_ds`
snapshots_ranked as (

    select
        *,
        {{ latest_extraction_first(['account_id', '_ds']) }} as extraction_rank
    from organization_snapshots

),

snapshots as (

    select
        account_id,
        _ds as report_date,
        followers,
        _extracted_at
    from snapshots_ranked
    where extraction_rank = 1

),

days as (

    select account_id, report_date from gains
    union
    select account_id, report_date from share_days
    union
    select account_id, report_date from snapshots

),

-- followers of a day without a snapshot, walked back from the next snapshot:
-- followers(D) = followers(S) - net gains of the days D+1..S, only when every one of
-- those days has its gains (LinkedIn's gains are net of unfollows)
anchored as (

    select
        days.account_id,
        days.report_date,
        min(snapshots.report_date) as anchor_date
    from days
    left join snapshots
        on days.account_id = snapshots.account_id
        and snapshots.report_date >= days.report_date
    group by
        days.account_id,
        days.report_date

),

walked_back as (

    select
        anchored.account_id,
        anchored.report_date,
        cast(snapshots.followers - coalesce(sum(gains.net_follows), 0) as bigint) as followers,
        count(gains.report_date) as gain_days
    from anchored
    inner join snapshots
        on anchored.account_id = snapshots.account_id
        and anchored.anchor_date = snapshots.report_date
    left join gains
        on anchored.account_id = gains.account_id
        and gains.report_date > anchored.report_date
        and gains.report_date <= anchored.anchor_date
    group by
        anchored.account_id,
        anchored.report_date,
        anchored.anchor_date,
        snapshots.followers
    having count(gains.report_date) = anchored.anchor_date - anchored.report_date

),

final as (

    select
        days.account_id,
        'linkedin' as platform,
        days.report_date,
        walked_back.followers,
        -- LinkedIn reports net gains only (organic + paid), not follows and unfollows
        cast(null as bigint) as follows,
        cast(null as bigint) as unfollows,
        -- organic only: total and paid views are unknown
        cast(null as bigint) as views,
        cast(null as bigint) as views_paid,
        share_days.views_organic,
        share_days.reach_organic as reach,
        {{ sum_of_present([
            'share_days.reactions',
            'share_days.comments',
            'share_days.shares',
            'share_days.clicks',
        ]) }} as post_engagements,
        cast(null as bigint) as page_views,
        greatest(
            gains._extracted_at, share_days._extracted_at, snapshots._extracted_at
        ) as _extracted_at

    from days
    left join walked_back
        on days.account_id = walked_back.account_id
        and days.report_date = walked_back.report_date
    left join gains
        on days.account_id = gains.account_id
        and days.report_date = gains.report_date
    left join share_days
        on days.account_id = share_days.account_id
        and days.report_date = share_days.report_date
    left join snapshots
        on days.account_id = snapshots.account_id
        and days.report_date = snapshots.report_date

)

select * from final
