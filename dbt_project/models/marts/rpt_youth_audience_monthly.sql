with

audience as (

    select * from {{ ref('fct_audience_daily') }}

),

-- a month is read on its latest snapshot: followers at the end of the month, and
-- (Instagram timeframe this_month) the people reached from the 1st to that day
month_snapshots as (

    select
        *,
        cast(date_trunc('month', snapshot_date) as date) as month_start_date,
        max(snapshot_date) over (
            partition by account_id, audience, date_trunc('month', snapshot_date)
        ) as month_snapshot_date
    from audience

),

aggregated as (

    select
        account_id,
        platform,
        month_start_date,
        audience,
        snapshot_date,
        -- withheld buckets are NULL: left out of both sums, flagged below
        sum(case when is_youth then audience_count end) as youth_count,
        sum(audience_count) as served_count,
        bool_or(is_withheld) as has_withheld_buckets
    from month_snapshots
    where snapshot_date = month_snapshot_date
    group by
        account_id,
        platform,
        month_start_date,
        audience,
        snapshot_date

),

final as (

    select
        cast(account_id as varchar) as account_id,
        cast(platform as varchar) as platform,
        cast(month_start_date as date) as month_start_date,
        cast(audience as varchar) as audience,
        cast(snapshot_date as date) as snapshot_date,
        cast(youth_count as bigint) as youth_count,
        cast(served_count as bigint) as served_count,
        {{ safe_ratio('youth_count', 'served_count') }} as youth_share,
        cast(has_withheld_buckets as boolean) as has_withheld_buckets

    from aggregated

)

select * from final
