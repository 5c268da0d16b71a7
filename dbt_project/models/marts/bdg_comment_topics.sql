-- The topics of fct_comments (int_comment_labels: computed while the text existed, so
-- a purged comment keeps its rows here); the ref keeps dim_topics built before this
-- bridge, for the relationships test of topic.
-- depends_on: {{ ref('dim_topics') }}

with

comments as (

    select * from {{ ref('fct_comments') }}

),

classified as (

    select
        comment_id,
        unnest(string_split(topics, '|')) as topic

    from comments

),

weighted as (

    select
        comment_id,
        topic,
        1.0 / count(*) over (partition by comment_id) as topic_weight

    from classified

),

final as (

    select
        cast(comment_id as varchar) as comment_id,
        cast(topic as varchar) as topic,
        cast(topic_weight as double) as topic_weight

    from weighted

)

select * from final
