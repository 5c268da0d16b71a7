{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='comment_id',
        on_schema_change='append_new_columns',
        full_refresh=false,
    )
}}

-- The labels of each comment, computed while its text exists and kept once it is gone.
-- The retention purge (socialpulse_maintenance) NULLs the texts older than
-- SOCIALPULSE_COMMENT_RETENTION_DAYS, and a label can only be computed from a text:
-- this table is where the labels of purged comments live on. Each build (re)classifies
-- every comment whose text is still held, so an edit of the lexicon or the taxonomy
-- reaches them all, and classifies once a comment that arrives without a text; a
-- comment whose text is gone is not selected, so delete+insert leaves its row as it
-- was. full_refresh=false: `dbt build --full-refresh` would otherwise recompute purged
-- comments from NULL (question false, topic autre, not abusive).
-- The UDFs (socialpulse.dbt_udfs) read the lexicon and the taxonomy files themselves;
-- the refs keep the seeds built before this model, for lineage.
-- depends_on: {{ ref('abuse_lexicon') }}
-- depends_on: {{ ref('topic_taxonomy') }}

with

comments as (

    select * from {{ ref('int_comments_unioned') }}

),

{% if is_incremental() %}

labelled_before as (

    select comment_id from {{ this }}

),

{% endif %}

-- every comment whose text is held, and a comment not labelled yet even without one
to_label as (

    select
        comments.comment_id,
        comments.message

    from comments
    {% if is_incremental() %}
    left join labelled_before
        on comments.comment_id = labelled_before.comment_id
    where comments.message is not null
        or labelled_before.comment_id is null
    {% endif %}

),

final as (

    select
        cast(comment_id as varchar) as comment_id,
        cast(sp_is_question(message) as boolean) as is_question,
        cast(array_to_string(sp_topics(message), '|') as varchar) as topics,
        cast(sp_main_topic(message) as varchar) as main_topic,
        cast(sp_is_abusive(message) as boolean) as is_abusive,
        cast(nullif(array_to_string(sp_abuse_categories(message), '|'), '') as varchar) as abuse_categories,
        cast('{{ run_started_at.isoformat() }}' as timestamptz) as labelled_at

    from to_label

)

select * from final
