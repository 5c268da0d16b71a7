{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['post_id', 'snapshot_date'],
        on_schema_change='fail',
    )
}}

with

-- the snapshot dates to (re)build: all on a full build, the last `reprocess_days`
-- of the table on an incremental one (macro incremental_window)
post_snapshots as (

    select * from {{ ref('int_post_snapshots_unioned') }}
    where true {{ incremental_window('snapshot_date') }}

),

-- followers known per account and day (a small table: accounts x days)
account_followers as (

    select
        account_id,
        report_date,
        followers
    from {{ ref('fct_account_daily') }}
    where followers is not null

),

-- the account's followers on the snapshot date, or the latest known before it
-- (DuckDB ASOF join: the greatest report_date <= snapshot_date of the same account)
with_followers as (

    select
        post_snapshots.*,
        account_followers.followers as account_followers

    from post_snapshots
    asof left join account_followers
        on post_snapshots.account_id = account_followers.account_id
        and post_snapshots.snapshot_date >= account_followers.report_date

),

with_engagements as (

    select
        *,
        {{ engagements() }} as engagements
    from with_followers

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
        cast(engagements as bigint) as engagements,
        {{ engagement_rate('engagements', 'reach') }} as engagement_rate,
        cast(views_paid > 0 as boolean) as is_paid,
        cast(account_followers as bigint) as account_followers,
        {{ engagement_rate('engagements', 'views') }} as engagement_rate_by_views,
        {{ engagement_rate('engagements', 'account_followers') }} as engagement_rate_by_followers,
        {{ amplification_rate('shares', 'account_followers') }} as amplification_rate,
        {{ conversation_rate('comments', 'account_followers') }} as conversation_rate,
        {{ share_of_paid('views_paid', 'views') }} as share_of_paid_views

    from with_engagements

)

select * from final
