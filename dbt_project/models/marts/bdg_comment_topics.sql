{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='comment_id',
        on_schema_change='append_new_columns',
        meta={'data_tests_recent_column': 'labelled_at'},
    )
}}

-- The topics of fct_comments (int_comment_labels: computed while the text existed, so
-- a purged comment keeps its rows here); the ref keeps dim_topics built before this
-- bridge, for the relationships test of topic.
-- Incremental on the labelling: a comment's topics change only when it is labelled
-- (a new comment, an edited text, new rules), which stamps fct_comments.labelled_at;
-- a build rewrites the rows of the comments labelled since the newest labelled_at it
-- holds, and `dbt build --full-refresh` gives the same rows.
-- depends_on: {{ ref('dim_topics') }}

with

comments as (

    select * from {{ ref('fct_comments') }}
    where true {{ loaded_after_watermark('labelled_at', 'labelled_at') }}

),

classified as (

    select
        comment_id,
        labelled_at,
        unnest(string_split(topics, '|')) as topic

    from comments

),

weighted as (

    select
        comment_id,
        labelled_at,
        topic,
        1.0 / count(*) over (partition by comment_id) as topic_weight

    from classified

),

final as (

    select
        cast(comment_id as varchar) as comment_id,
        cast(topic as varchar) as topic,
        cast(topic_weight as double) as topic_weight,
        cast(labelled_at as timestamptz) as labelled_at

    from weighted

)

select * from final
