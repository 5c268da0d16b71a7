{{ config(materialized='table') }}

-- A table, not a view: rpt_weekly_comparison reads it three times (the week, the week
-- before, the same week last year).
{%- set metrics = weekly_comparison_metrics() %}
{%- set post_counts = ['views', 'reach', 'reactions', 'comments', 'shares', 'clicks', 'engagements'] %}

with

topic_daily as (

    select * from {{ ref('fct_topic_engagement_daily') }}

),

post_daily as (

    select * from {{ ref('fct_post_daily') }}

),

posts as (

    select * from {{ ref('dim_posts') }}

),

post_snapshots as (

    select * from {{ ref('fct_post_snapshots') }}

),

account_daily as (

    select * from {{ ref('fct_account_daily') }}

),

-- topic rows: what the topic's posts gained, and how many were published, per week
topic_weeks as (

    select
        account_id,
        platform,
        {{ iso_week_start('activity_date') }} as week_start,
        topic,
        '_all' as format,
        sum(posts_published) as posts_published,
        {%- for metric in post_counts %}
        sum({{ metric }}) as {{ metric }}{% if not loop.last %},{% endif %}
        {%- endfor %}

    from topic_daily
    group by
        account_id,
        platform,
        {{ iso_week_start('activity_date') }},
        topic

),

-- each post's daily increments and its publication (Europe/Paris date), with its format
post_events as (

    select
        post_daily.account_id,
        post_daily.platform,
        {{ iso_week_start('post_daily.activity_date') }} as week_start,
        posts.format,
        0 as posts_published,
        {%- for metric in post_counts %}
        post_daily.{{ metric }}{% if not loop.last %},{% endif %}
        {%- endfor %}

    from post_daily
    inner join posts
        on post_daily.post_id = posts.post_id

    union all

    select
        account_id,
        platform,
        {{ iso_week_start('published_date') }} as week_start,
        format,
        1 as posts_published,
        {%- for metric in post_counts %}
        null as {{ metric }}{% if not loop.last %},{% endif %}
        {%- endfor %}

    from posts

),

-- format rows (topic '_all') and the account's total row (topic and format '_all'):
-- every post once, not the sum of the topic rows
format_weeks as (

    select
        account_id,
        platform,
        week_start,
        '_all' as topic,
        coalesce(format, '_all') as format,
        sum(posts_published) as posts_published,
        {%- for metric in post_counts %}
        sum({{ metric }}) as {{ metric }}{% if not loop.last %},{% endif %}
        {%- endfor %}

    from post_events
    group by grouping sets (
        (account_id, platform, week_start, format),
        (account_id, platform, week_start)
    )

),

weekly as (

    select * from topic_weeks
    union all
    select * from format_weeks

),

-- the account's own series, per ISO week of the platform's reporting day
account_series_weeks as (

    select
        account_id,
        {{ iso_week_start('report_date') }} as week_start,
        arg_max(followers, report_date) filter (where followers is not null) as followers,
        sum(views) as account_views

    from account_daily
    group by
        account_id,
        {{ iso_week_start('report_date') }}

),

-- days on which the warehouse measured the account: a snapshot of one of its posts or
-- a row of its daily series
data_days as (

    select
        account_id,
        platform,
        snapshot_date as data_date
    from post_snapshots

    union

    select
        account_id,
        platform,
        report_date as data_date
    from account_daily

),

coverage as (

    select
        account_id,
        platform,
        {{ iso_week_start('data_date') }} as week_start,
        count(*) as days_with_data

    from data_days
    group by
        account_id,
        platform,
        {{ iso_week_start('data_date') }}

),

-- the weeks an account has data in: measured days, or activity counted on the
-- publication day of a post read for the first time later
account_weeks as (

    select
        account_id,
        platform,
        week_start
    from coverage

    union

    select
        account_id,
        platform,
        week_start
    from weekly

),

group_weeks as (

    select distinct
        account_id,
        topic,
        format,
        week_start
    from weekly

),

-- the account's total row in every week it has data in, and each group's row in the
-- weeks with data in which the group, the week before or the same week last year had
-- activity (so a topic that stops shows a 0 next to its last value)
spine as (

    select
        account_id,
        platform,
        week_start,
        '_all' as topic,
        '_all' as format
    from account_weeks

    union

    select
        account_weeks.account_id,
        account_weeks.platform,
        account_weeks.week_start,
        group_weeks.topic,
        group_weeks.format

    from account_weeks
    inner join group_weeks
        on account_weeks.account_id = group_weeks.account_id
        and (
            group_weeks.week_start = account_weeks.week_start
            or group_weeks.week_start = account_weeks.week_start - 7
            or group_weeks.week_start = {{ same_iso_week_last_year('account_weeks.week_start') }}
        )

),

-- the counts each account's platform measures: any value ever in its total rows
account_measures as (

    select
        account_id,
        {%- for metric in post_counts %}
        count({{ metric }}) > 0 as has_{{ metric }}{% if not loop.last %},{% endif %}
        {%- endfor %}

    from weekly
    where topic = '_all'
        and format = '_all'
    group by account_id

),

-- a week with data but no activity of the group is 0 for what the platform measures,
-- NULL for what it does not
filled as (

    select
        spine.account_id,
        spine.platform,
        spine.week_start,
        spine.topic,
        spine.format,
        coalesce(weekly.posts_published, 0) as posts_published,
        {%- for metric in post_counts %}
        case when account_measures.has_{{ metric }} then coalesce(weekly.{{ metric }}, 0) end as {{ metric }},
        {%- endfor %}
        account_series_weeks.followers,
        account_series_weeks.account_views,
        coalesce(coverage.days_with_data, 0) as days_with_data
        {%- for metric in post_counts %},
        coalesce(account_measures.has_{{ metric }}, false) as has_{{ metric }}
        {%- endfor %}

    from spine
    left join weekly
        on spine.account_id = weekly.account_id
        and spine.week_start = weekly.week_start
        and spine.topic = weekly.topic
        and spine.format = weekly.format
    left join account_measures
        on spine.account_id = account_measures.account_id
    left join account_series_weeks
        on spine.account_id = account_series_weeks.account_id
        and spine.week_start = account_series_weeks.week_start
        and spine.topic = '_all'
        and spine.format = '_all'
    left join coverage
        on spine.account_id = coverage.account_id
        and spine.week_start = coverage.week_start

),

-- one row per metric; value_if_no_activity is what the group holds in a week with
-- data but no row: 0 for the counts the platform measures, NULL for the rest
unpivoted as (

    {%- for metric in metrics %}

    select
        week_start,
        account_id,
        platform,
        topic,
        format,
        '{{ metric.name }}' as metric,
        {%- if metric.name == 'engagement_rate' %}
        {{ engagement_rate('engagements', 'reach') }} as value,
        {%- else %}
        cast({{ metric.name }} as double) as value,
        {%- endif %}
        days_with_data,
        {%- if metric.name == 'posts_published' %}
        cast(0 as double) as value_if_no_activity
        {%- elif metric.kind == 'count' %}
        case when has_{{ metric.name }} then cast(0 as double) end as value_if_no_activity
        {%- else %}
        cast(null as double) as value_if_no_activity
        {%- endif %}
    from filled
    {%- if metric.scope == 'account' %}
    where topic = '_all'
        and format = '_all'
    {%- endif %}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        cast(week_start as date) as week_start,
        cast(account_id as varchar) as account_id,
        cast(platform as varchar) as platform,
        cast(topic as varchar) as topic,
        cast(format as varchar) as format,
        cast(metric as varchar) as metric,
        cast(value as double) as value,
        cast(days_with_data as integer) as days_with_data,
        cast(value_if_no_activity as double) as value_if_no_activity

    from unpivoted

)

select * from final
