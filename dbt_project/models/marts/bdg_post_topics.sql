-- sp_topics reads the taxonomy file itself (socialpulse.dbt_udfs); the ref keeps the
-- seed, and so dim_topics, built before this bridge.
-- depends_on: {{ ref('topic_taxonomy') }}

with

posts as (

    select * from {{ ref('dim_posts') }}

),

classified as (

    select
        post_id,
        unnest(sp_topics(message)) as topic

    from posts

),

weighted as (

    select
        post_id,
        topic,
        1.0 / count(*) over (partition by post_id) as topic_weight

    from classified

),

final as (

    select
        cast(post_id as varchar) as post_id,
        cast(topic as varchar) as topic,
        cast(topic_weight as double) as topic_weight

    from weighted

)

select * from final
