-- sp_topics reads the taxonomy file itself (socialpulse.dbt_udfs); the ref keeps the
-- seed, and so dim_topics, built before this bridge.
-- depends_on: {{ ref('topic_taxonomy') }}

with

comments as (

    select * from {{ ref('fct_comments') }}

),

classified as (

    select
        comment_id,
        unnest(sp_topics(message)) as topic

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
