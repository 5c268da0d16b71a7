{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='post_id',
        on_schema_change='fail',
    )
}}

-- The topics of each post, classified from its text by sp_topics (the taxonomy).
-- Incremental so that a build classifies the day's new posts, not the history: a post
-- not classified yet, a post whose text differs from the one classified (`text_md5`:
-- an edit, or a text that arrived later), and every post when the rules changed
-- (`labelling_version`: the taxonomy, the lexicon or the Python code that applies them
-- was edited, so a taxonomy edit reaches past posts too). Posts keep their texts (only
-- comment texts are purged), so `dbt build --full-refresh` recomputes the same table.
-- sp_topics reads the taxonomy file itself (socialpulse.dbt_udfs); the ref keeps the
-- seed, and so dim_topics, built before the bridge that reads this model.
-- depends_on: {{ ref('topic_taxonomy') }}

with

posts as (

    select
        post_id,
        message

    from {{ ref('int_posts_unioned') }}

),

{% if is_incremental() %}

classified_before as (

    select
        post_id,
        text_md5,
        labelling_version

    from {{ this }}

),

{% endif %}

-- new posts, edited texts, and every post when the rules changed
to_classify as (

    select
        posts.post_id,
        posts.message,
        md5(posts.message) as text_md5

    from posts
    {% if is_incremental() %}
    left join classified_before
        on posts.post_id = classified_before.post_id
    where classified_before.post_id is null
        or classified_before.text_md5 is distinct from md5(posts.message)
        or classified_before.labelling_version is distinct from sp_labelling_version()
    {% endif %}

),

-- each distinct text once
texts_classified as (

    select
        message,
        sp_topics(message) as topics

    from (select distinct message from to_classify)

),

final as (

    select
        cast(to_classify.post_id as varchar) as post_id,
        cast(array_to_string(texts_classified.topics, '|') as varchar) as topics,
        cast(to_classify.text_md5 as varchar) as text_md5,
        cast(sp_labelling_version() as varchar) as labelling_version,
        cast('{{ run_started_at.isoformat() }}' as timestamptz) as classified_at

    from to_classify
    left join texts_classified
        on to_classify.message is not distinct from texts_classified.message

)

select * from final
