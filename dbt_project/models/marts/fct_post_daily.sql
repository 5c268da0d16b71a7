{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['post_id', 'activity_date'],
        on_schema_change='fail',
    )
}}

-- What each post gained on each day: the difference between consecutive snapshots of
-- its lifetime metrics (docs block activity_day). Incremental by snapshot_date: a
-- build turns the last `reprocess_days` snapshot dates of the table, and the new ones,
-- into increments; the snapshot before each comes from the whole fct_post_snapshots
-- table, however old it is.
with

post_snapshots as (

    select * from {{ ref('fct_post_snapshots') }}

),

posts as (

    select * from {{ ref('dim_posts') }}

),

-- the posts with a snapshot date to (re)build (all of them on a full build)
posts_to_build as (

    select distinct post_id
    from post_snapshots
    where true {{ incremental_window('snapshot_date') }}

),

-- every snapshot of those posts, each next to the one before it
snapshots_paired as (

    select
        post_snapshots.*,
        lag(post_snapshots.snapshot_date) over by_post as previous_snapshot_date,
        {%- for metric in ['views', 'views_paid', 'views_organic', 'reach', 'reactions', 'comments', 'shares', 'clicks', 'engagements'] %}
        lag(post_snapshots.{{ metric }}) over by_post as previous_{{ metric }},
        {%- endfor %}
        posts.published_date

    from post_snapshots
    inner join posts_to_build
        on post_snapshots.post_id = posts_to_build.post_id
    left join posts
        on post_snapshots.post_id = posts.post_id
    window by_post as (partition by post_snapshots.post_id order by post_snapshots.snapshot_date)

),

-- the snapshots rebuilt (their predecessors were only read)
in_window as (

    select * from snapshots_paired
    where true {{ incremental_window('snapshot_date') }}

),

-- a post's first snapshot counts from zero and goes to its publication day, unless
-- it was measured before that Europe/Paris date (a post of 00:30 Paris is still the
-- previous UTC day's); every later one goes to its own snapshot date
increments as (

    select
        post_id,
        account_id,
        platform,
        case
            when previous_snapshot_date is null
                then least(snapshot_date, coalesce(published_date, snapshot_date))
            else snapshot_date
        end as activity_date,
        snapshot_date,
        previous_snapshot_date,
        previous_snapshot_date is null as is_first_snapshot,
        {%- for metric in ['views', 'views_paid', 'views_organic', 'reach', 'reactions', 'comments', 'shares', 'clicks', 'engagements'] %}
        case
            when previous_snapshot_date is null then {{ metric }}
            else {{ metric }} - previous_{{ metric }}
        end as {{ metric }}{% if not loop.last %},{% endif %}
        {%- endfor %}

    from in_window

),

final as (

    select
        cast(post_id as varchar) as post_id,
        cast(account_id as varchar) as account_id,
        cast(platform as varchar) as platform,
        cast(activity_date as date) as activity_date,
        cast(snapshot_date as date) as snapshot_date,
        cast(previous_snapshot_date as date) as previous_snapshot_date,
        cast(is_first_snapshot as boolean) as is_first_snapshot,
        cast(views as bigint) as views,
        cast(views_paid as bigint) as views_paid,
        cast(views_organic as bigint) as views_organic,
        cast(reach as bigint) as reach,
        cast(reactions as bigint) as reactions,
        cast(comments as bigint) as comments,
        cast(shares as bigint) as shares,
        cast(clicks as bigint) as clicks,
        cast(engagements as bigint) as engagements

    from increments

)

select * from final
