{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['granularity', 'bucket_start'],
        on_schema_change='append_new_columns',
    )
}}

-- What rpt_topic_trends measures, per bucket: the public's comments by topic and by
-- hashtag in each UTC hour and each Europe/Paris day (no zeros: the mart adds them).
-- A comment's topics are its labels (int_comment_labels: computed while the text
-- existed, so comments past the retention keep theirs); its hashtags are read from
-- the text, so they go with it.
-- Incremental on loads: a build counts again the Paris days (and the hours within
-- them: a UTC hour lies in one Paris day) of the public's comments loaded or labelled
-- since the last build, from all the comments of those days, and replaces their rows;
-- the mart then reads a few hundred thousand counts, not every comment.

with

comments as (

    select * from {{ ref('int_comments_unioned') }}
    where not is_by_account

),

labels as (

    select * from {{ ref('int_comment_labels') }}

),

-- the UTC hours that hold comments, each with its Europe/Paris day (a UTC hour lies in
-- one Paris day): the time-zone calendar runs on these few thousand hours, not on
-- every comment
hours as materialized (

    select
        hour_index,
        {{ utc_hour_start('hour_index') }} as hour_start,
        {{ paris_day_start(utc_hour_start('hour_index')) }} as day_start

    from (
        select distinct {{ utc_hour_index('created_at') }} as hour_index
        from comments
    )

),

{% if is_incremental() %}

-- the Paris days to count again: those of the comments loaded or labelled since the
-- last build, and those not counted yet (the retention purge deletes the counts of
-- the days whose texts it erases: their hashtags go with the texts)
touched_days as (

    select hours.day_start
    from hours
    where hours.hour_index in (
        select {{ utc_hour_index('created_at') }}
        from comments
        where true {{ loaded_after_watermark('_last_loaded_at') }}
            or comment_id in (
                select comment_id
                from labels
                where true {{ loaded_after_watermark('labelled_at', '_last_labelled_at') }}
            )
    )

    union

    (
        select day_start from hours

        except

        select bucket_start as day_start
        from {{ this }}
        where granularity = 'day'
    )

),

{% endif %}

-- each public comment (of the days to count), with its topics (multi-label) and its
-- hashtags, folded
labelled as materialized (

    select
        {{ utc_hour_index('comments.created_at') }} as hour_index,
        comments.post_id,
        comments.platform,
        comments.author_pseudonym,
        comments.created_at,
        comments.like_count,
        comments._last_loaded_at,
        labels.labelled_at,
        string_split(labels.topics, '|') as topics,
        list_distinct(
            list_transform(
                regexp_extract_all(coalesce(comments.message, ''), '#([\pL\pN_]+)', 1),
                lambda tag: '#' || lower(strip_accents(tag))
            )
        ) as hashtags

    from comments
    left join labels
        on comments.comment_id = labels.comment_id
    {% if is_incremental() %}
    where {{ utc_hour_index('comments.created_at') }} in (
        select hour_index
        from hours
        where day_start in (select day_start from touched_days)
    )
    {% endif %}

),

-- one row per comment and value: each of its topics, each of its hashtags (no join
-- back on the comment: the counts below read these rows only)
comment_values as (
{%- for dimension, values in [('topic', 'topics'), ('hashtag', 'hashtags')] %}

    select
        hour_index,
        post_id,
        platform,
        author_pseudonym,
        created_at,
        like_count,
        _last_loaded_at,
        labelled_at,
        '{{ dimension }}' as dimension,
        unnest({{ values }}) as value

    from labelled
    where len({{ values }}) > 0
    {%- if not loop.last %}

    union all
    {%- endif %}
{%- endfor %}

),

-- each hashtag of a comment with each of its topics
hashtag_comment_topics as (

    select
        hour_index,
        hashtag,
        unnest(topics) as topic

    from (
        select
            hour_index,
            topics,
            unnest(hashtags) as hashtag

        from labelled
        where len(hashtags) > 0
    )

),

-- the counts per UTC hour and per Europe/Paris day (hours.hour_start, hours.day_start):
-- one aggregation per granularity, one after the other, rather than one over both (the
-- peak memory of the counts of distinct commenters and posts is that of one)
{%- set granularities = [('hour', 'hour_start'), ('day', 'day_start')] %}
observed as (
{%- for granularity, bucket in granularities %}

    select
        '{{ granularity }}' as granularity,
        hours.{{ bucket }} as bucket_start,
        comment_values.dimension,
        comment_values.value,
        count(*) as comment_count,
        count(distinct comment_values.author_pseudonym) as commenter_count,
        count(distinct comment_values.post_id) as post_count,
        count(distinct comment_values.platform) as platform_count,
        sum(comment_values.like_count) as comment_like_count,
        min(comment_values.created_at) as first_comment_at,
        max(comment_values.created_at) as last_comment_at,
        max(comment_values._last_loaded_at) as _last_loaded_at,
        max(comment_values.labelled_at) as _last_labelled_at

    from comment_values
    inner join hours
        on comment_values.hour_index = hours.hour_index
    group by hours.{{ bucket }}, comment_values.dimension, comment_values.value
    {%- if not loop.last %}

    union all
    {%- endif %}
{%- endfor %}

),

-- what a hashtag is about, per bucket: the topic most of its comments have
hashtag_topic_counts as (
{%- for granularity, bucket in granularities %}

    select
        '{{ granularity }}' as granularity,
        hours.{{ bucket }} as bucket_start,
        hashtag_comment_topics.hashtag as value,
        hashtag_comment_topics.topic,
        count(*) as comment_count

    from hashtag_comment_topics
    inner join hours
        on hashtag_comment_topics.hour_index = hours.hour_index
    group by hours.{{ bucket }}, hashtag_comment_topics.hashtag, hashtag_comment_topics.topic
    {%- if not loop.last %}

    union all
    {%- endif %}
{%- endfor %}

),

hashtag_topics as (

    select
        granularity,
        bucket_start,
        value,
        topic

    from hashtag_topic_counts
    -- `autre` only when nothing else; ties go to the first topic alphabetically
    qualify row_number() over (
        partition by granularity, bucket_start, value
        order by topic = 'autre', comment_count desc, topic
    ) = 1

),

final as (

    select
        cast(observed.granularity as varchar) as granularity,
        cast(observed.bucket_start as timestamptz) as bucket_start,
        cast(observed.dimension as varchar) as dimension,
        cast(observed.value as varchar) as value,
        cast(hashtag_topics.topic as varchar) as hashtag_topic,
        cast(observed.comment_count as bigint) as comment_count,
        cast(observed.commenter_count as bigint) as commenter_count,
        cast(observed.post_count as bigint) as post_count,
        cast(observed.platform_count as bigint) as platform_count,
        cast(observed.comment_like_count as bigint) as comment_like_count,
        cast(observed.first_comment_at as timestamptz) as first_comment_at,
        cast(observed.last_comment_at as timestamptz) as last_comment_at,
        cast(observed._last_loaded_at as timestamptz) as _last_loaded_at,
        cast(observed._last_labelled_at as timestamptz) as _last_labelled_at

    from observed
    left join hashtag_topics
        on
            observed.granularity = hashtag_topics.granularity
            and observed.bucket_start = hashtag_topics.bucket_start
            and observed.value = hashtag_topics.value
            and observed.dimension = 'hashtag'

)

select * from final
