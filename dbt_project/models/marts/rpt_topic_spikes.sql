{#-
    One row per spike of rpt_topic_trends (its buckets carry the spike_id): where it
    started, how strong it was then and at its peak, whether it may still grow.
    Method: models/marts/trends.md.
-#}
{%- set merge_gap = var('topic_spike_merge_gap', 1) -%}

with

trends as (

    select * from {{ ref('rpt_topic_trends') }}

),

latest_buckets as (

    select
        granularity,
        max(bucket_start) as latest_bucket_start

    from trends
    group by granularity

),

spike_buckets as (

    select
        *,
        row_number() over (partition by spike_id order by bucket_start) as bucket_rank,
        row_number() over (partition by spike_id order by robust_z desc, bucket_start) as peak_rank

    from trends
    where spike_id is not null

),

spans as (

    select
        spike_id,
        max(bucket_start) as last_bucket_start,
        max(bucket_end) as ended_at,
        count(*) as spike_bucket_count,
        sum(comment_count) as total_comment_count

    from spike_buckets
    group by spike_id

),

first_buckets as (

    select * from spike_buckets
    where bucket_rank = 1

),

peak_buckets as (

    select * from spike_buckets
    where peak_rank = 1

),

spikes as (

    select
        first_buckets.spike_id,
        first_buckets.granularity,
        first_buckets.dimension,
        first_buckets.value,
        first_buckets.topic,
        first_buckets.bucket_start as started_at,
        first_buckets.bucket_start_local as started_at_local,
        spans.ended_at,
        spans.spike_bucket_count,
        first_buckets.first_comment_at as first_seen_at,
        first_buckets.comment_count,
        first_buckets.baseline_median,
        first_buckets.baseline_scale,
        first_buckets.robust_z,
        peak_buckets.bucket_start as peak_at,
        peak_buckets.comment_count as peak_comment_count,
        peak_buckets.robust_z as peak_z,
        spans.total_comment_count,
        case
            when first_buckets.granularity = 'hour'
                then spans.last_bucket_start >= latest_buckets.latest_bucket_start - to_hours({{ merge_gap }})
            else spans.last_bucket_start >= latest_buckets.latest_bucket_start - to_days({{ merge_gap }})
        end as is_ongoing

    from first_buckets
    inner join spans
        on first_buckets.spike_id = spans.spike_id
    inner join peak_buckets
        on first_buckets.spike_id = peak_buckets.spike_id
    inner join latest_buckets
        on first_buckets.granularity = latest_buckets.granularity

),

final as (

    select
        cast(spike_id as varchar) as spike_id,
        cast(granularity as varchar) as granularity,
        cast(dimension as varchar) as dimension,
        cast(value as varchar) as value,
        cast(topic as varchar) as topic,
        cast(started_at as timestamptz) as started_at,
        cast(started_at_local as timestamp) as started_at_local,
        cast(ended_at as timestamptz) as ended_at,
        cast(spike_bucket_count as bigint) as spike_bucket_count,
        cast(first_seen_at as timestamptz) as first_seen_at,
        cast(comment_count as bigint) as comment_count,
        cast(baseline_median as double) as baseline_median,
        cast(baseline_scale as double) as baseline_scale,
        cast(robust_z as double) as robust_z,
        cast(peak_at as timestamptz) as peak_at,
        cast(peak_comment_count as bigint) as peak_comment_count,
        cast(peak_z as double) as peak_z,
        cast(total_comment_count as bigint) as total_comment_count,
        cast(is_ongoing as boolean) as is_ongoing

    from spikes

)

select * from final
