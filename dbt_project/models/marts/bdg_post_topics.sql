-- The topics come from int_post_topics (sp_topics, classified once per post and text,
-- again when the taxonomy changes).

with

posts as (

    select * from {{ ref('dim_posts') }}

),

post_topics as (

    select * from {{ ref('int_post_topics') }}

),

classified as (

    select
        posts.post_id,
        unnest(string_split(post_topics.topics, '|')) as topic

    from posts
    inner join post_topics
        on posts.post_id = post_topics.post_id

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
