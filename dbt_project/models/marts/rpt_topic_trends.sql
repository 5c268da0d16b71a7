{#-
    Hourly and daily comment volume per topic and per hashtag against a robust trailing
    baseline: the same hour of the week (hourly) or the same weekday (daily), Paris wall
    clock, in each of the previous `topic_trend_baseline_weeks` weeks. Method, defaults
    and measured numbers: models/marts/trends.md (doc topic_trends).
-#}
{%- set baseline_weeks = var('topic_trend_baseline_weeks', 4) -%}
{%- set warmup_days = var('topic_trend_warmup_days', 3) -%}
{%- set scale_floor = var('topic_spike_scale_floor', 1.0) -%}
{%- set min_z = var('topic_spike_min_z', 15) -%}
{%- set hold_z = var('topic_spike_hold_z', 5) -%}
{%- set min_comments_hour = var('topic_spike_min_comments_hour', 20) -%}
{%- set min_comments_day = var('topic_spike_min_comments_day', 50) -%}
{%- set merge_gap = var('topic_spike_merge_gap', 1) -%}

-- The counts per bucket come from int_topic_trend_observed (incremental: the days of
-- the comments a load brought are counted again), so this mart reads a few hundred
-- thousand counts rather than every comment. dim_topics gives every topic a row in
-- every bucket, zero included.
with

counted as (

    select * from {{ ref('int_topic_trend_observed') }}

),

topics as (

    select * from {{ ref('dim_topics') }}

),

observed as (

    select
        granularity,
        bucket_start,
        dimension,
        value,
        comment_count,
        commenter_count,
        post_count,
        platform_count,
        comment_like_count,
        first_comment_at

    from counted

),

-- what a hashtag is about, per bucket: the topic most of its comments have
hashtag_topics as (

    select
        granularity,
        bucket_start,
        value,
        hashtag_topic as topic

    from counted
    where dimension = 'hashtag'

),

-- the comments' time span: the first days miss the comments of posts published
-- before the first extraction, so baselines count from `warmup_days` later
coverage as (

    select
        min(first_comment_at) as first_comment_at,
        max(last_comment_at) as last_comment_at,
        date_trunc('day', timezone('Europe/Paris', min(first_comment_at)))
        + to_days({{ warmup_days }}) as complete_from_local

    from counted

),

hour_buckets as (

    select
        'hour' as granularity,
        unnest(
            generate_series(
                date_trunc('hour', first_comment_at),
                date_trunc('hour', last_comment_at),
                interval 1 hour
            )
        ) as bucket_start

    from coverage

),

local_days as (

    select
        unnest(
            generate_series(
                date_trunc('day', timezone('Europe/Paris', first_comment_at)),
                date_trunc('day', timezone('Europe/Paris', last_comment_at)),
                interval 1 day
            )
        ) as day_start_local

    from coverage

),

day_buckets as (

    select
        'day' as granularity,
        timezone('Europe/Paris', day_start_local) as bucket_start

    from local_days

),

-- every topic in every bucket (zeros included); a hashtag only where it was used
grid as (

    select
        all_buckets.granularity,
        all_buckets.bucket_start,
        'topic' as dimension,
        topics.topic as value

    from (
        select * from hour_buckets
        union all
        select * from day_buckets
    ) as all_buckets
    cross join topics

    union

    select
        granularity,
        bucket_start,
        dimension,
        value

    from observed

),

located as (

    select
        granularity,
        bucket_start,
        case granularity
            when 'hour' then bucket_start + interval 1 hour
            else timezone('Europe/Paris', timezone('Europe/Paris', bucket_start) + interval 1 day)
        end as bucket_end,
        timezone('Europe/Paris', bucket_start) as bucket_start_local,
        dimension,
        value

    from grid

),

-- past volumes by Paris wall-clock bucket (the repeated hour of the autumn change sums up)
observed_local as (

    select
        granularity,
        dimension,
        value,
        timezone('Europe/Paris', bucket_start) as bucket_start_local,
        sum(comment_count) as comment_count

    from observed
    group by
        granularity,
        dimension,
        value,
        timezone('Europe/Paris', bucket_start)

),

baseline_weeks as (

    select unnest(range(1, {{ baseline_weeks }} + 1)) as weeks_back

),

-- the same hour of the week (day of the week) in each previous week; none is 0
baseline_points as (

    select
        located.granularity,
        located.bucket_start,
        located.dimension,
        located.value,
        coalesce(past.comment_count, 0) as past_comment_count

    from located
    cross join baseline_weeks
    left join observed_local as past
        on
            located.granularity = past.granularity
            and located.dimension = past.dimension
            and located.value = past.value
            and located.bucket_start_local - to_days(7 * baseline_weeks.weeks_back) = past.bucket_start_local

),

baseline_medians as (

    select
        granularity,
        bucket_start,
        dimension,
        value,
        median(past_comment_count) as baseline_median

    from baseline_points
    group by
        granularity,
        bucket_start,
        dimension,
        value

),

baselines as (

    select
        baseline_points.granularity,
        baseline_points.bucket_start,
        baseline_points.dimension,
        baseline_points.value,
        any_value(baseline_medians.baseline_median) as baseline_median,
        median(abs(baseline_points.past_comment_count - baseline_medians.baseline_median)) as baseline_mad

    from baseline_points
    inner join baseline_medians
        on
            baseline_points.granularity = baseline_medians.granularity
            and baseline_points.bucket_start = baseline_medians.bucket_start
            and baseline_points.dimension = baseline_medians.dimension
            and baseline_points.value = baseline_medians.value
    group by
        baseline_points.granularity,
        baseline_points.bucket_start,
        baseline_points.dimension,
        baseline_points.value

),

measured as (

    select
        located.granularity,
        located.bucket_start,
        located.bucket_end,
        located.bucket_start_local,
        located.dimension,
        located.value,
        case
            when located.dimension = 'topic' then located.value
            else hashtag_topics.topic
        end as topic,
        coalesce(observed.comment_count, 0) as comment_count,
        coalesce(observed.commenter_count, 0) as commenter_count,
        coalesce(observed.post_count, 0) as post_count,
        coalesce(observed.platform_count, 0) as platform_count,
        case
            when observed.comment_count is null then 0
            else observed.comment_like_count
        end as comment_like_count,
        observed.first_comment_at,
        baselines.baseline_median,
        baselines.baseline_mad,
        greatest(
            1.4826 * baselines.baseline_mad,
            sqrt(baselines.baseline_median),
            {{ scale_floor }}
        ) as baseline_scale,
        located.bucket_start_local - to_days(7 * {{ baseline_weeks }}) >= coverage.complete_from_local
            as is_baseline_complete

    from located
    inner join baselines
        on
            located.granularity = baselines.granularity
            and located.bucket_start = baselines.bucket_start
            and located.dimension = baselines.dimension
            and located.value = baselines.value
    left join observed
        on
            located.granularity = observed.granularity
            and located.bucket_start = observed.bucket_start
            and located.dimension = observed.dimension
            and located.value = observed.value
    left join hashtag_topics
        on
            located.granularity = hashtag_topics.granularity
            and located.bucket_start = hashtag_topics.bucket_start
            and located.value = hashtag_topics.value
            and located.dimension = 'hashtag'
    cross join coverage

),

scored as (

    select
        *,
        (comment_count - baseline_median) / baseline_scale as robust_z,
        case
            when granularity = 'hour' then {{ min_comments_hour }}
            else {{ min_comments_day }}
        end as min_comments

    from measured

),

-- a spike starts high (min_z, the volume minimum) and holds while elevated (hold_z,
-- half the volume minimum)
flagged as (

    select
        *,
        is_baseline_complete
        and comment_count >= min_comments
        and robust_z >= {{ min_z }} as is_spike,
        is_baseline_complete
        and comment_count >= min_comments / 2.0
        and robust_z >= {{ hold_z }} as is_elevated

    from scored

),

-- a spike: a run of elevated buckets (lulls of at most `merge_gap` buckets allowed;
-- hours in UTC, days on the Paris calendar) from its first spike bucket on
elevated as (

    select
        granularity,
        bucket_start,
        cast(bucket_start_local as date) as local_date,
        dimension,
        value,
        is_spike

    from flagged
    where is_elevated

),

run_starts as (

    select
        *,
        case
            when lag(bucket_start) over by_value is null then 1
            when
                granularity = 'hour'
                and bucket_start - lag(bucket_start) over by_value > to_hours({{ merge_gap + 1 }})
                then 1
            when
                granularity = 'day'
                and local_date - lag(local_date) over by_value > {{ merge_gap + 1 }}
                then 1
            else 0
        end as is_run_start

    from elevated
    window by_value as (partition by granularity, dimension, value order by bucket_start)

),

runs as (

    select
        *,
        sum(is_run_start) over (
            partition by granularity, dimension, value
            order by bucket_start
            rows between unbounded preceding and current row
        ) as run_number

    from run_starts

),

run_spike_starts as (

    select
        granularity,
        dimension,
        value,
        run_number,
        min(bucket_start) filter (where is_spike) as started_at

    from runs
    group by
        granularity,
        dimension,
        value,
        run_number

),

spike_members as (

    select
        runs.granularity,
        runs.bucket_start,
        runs.dimension,
        runs.value,
        md5(
            concat_ws(
                '|',
                runs.granularity,
                runs.dimension,
                runs.value,
                strftime(timezone('UTC', run_spike_starts.started_at), '%Y-%m-%dT%H:%M:%SZ')
            )
        ) as spike_id

    from runs
    inner join run_spike_starts
        on
            runs.granularity = run_spike_starts.granularity
            and runs.dimension = run_spike_starts.dimension
            and runs.value = run_spike_starts.value
            and runs.run_number = run_spike_starts.run_number
    where runs.bucket_start >= run_spike_starts.started_at

),

final as (

    select
        cast(flagged.granularity as varchar) as granularity,
        cast(flagged.bucket_start as timestamptz) as bucket_start,
        cast(flagged.bucket_end as timestamptz) as bucket_end,
        cast(flagged.bucket_start_local as timestamp) as bucket_start_local,
        cast(flagged.bucket_start_local as date) as local_date,
        cast(isodow(flagged.bucket_start_local) as integer) as local_weekday,
        cast(
            case when flagged.granularity = 'hour' then hour(flagged.bucket_start_local) end as integer
        ) as local_hour,
        cast(flagged.dimension as varchar) as dimension,
        cast(flagged.value as varchar) as value,
        cast(flagged.topic as varchar) as topic,
        cast(flagged.comment_count as bigint) as comment_count,
        cast(flagged.commenter_count as bigint) as commenter_count,
        cast(flagged.post_count as bigint) as post_count,
        cast(flagged.platform_count as bigint) as platform_count,
        cast(flagged.comment_like_count as bigint) as comment_like_count,
        cast(flagged.comment_count + coalesce(flagged.comment_like_count, 0) as bigint) as engagement_count,
        cast(flagged.first_comment_at as timestamptz) as first_comment_at,
        cast(flagged.baseline_median as double) as baseline_median,
        cast(flagged.baseline_mad as double) as baseline_mad,
        cast(flagged.baseline_scale as double) as baseline_scale,
        cast(flagged.robust_z as double) as robust_z,
        cast(flagged.is_baseline_complete as boolean) as is_baseline_complete,
        cast(flagged.is_spike as boolean) as is_spike,
        cast(flagged.is_elevated as boolean) as is_elevated,
        cast(spike_members.spike_id as varchar) as spike_id

    from flagged
    left join spike_members
        on
            flagged.granularity = spike_members.granularity
            and flagged.bucket_start = spike_members.bucket_start
            and flagged.dimension = spike_members.dimension
            and flagged.value = spike_members.value

)

select * from final
