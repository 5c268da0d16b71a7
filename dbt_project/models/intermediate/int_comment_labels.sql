{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='comment_id',
        on_schema_change='append_new_columns',
        full_refresh=false,
        meta={'data_tests_recent_column': 'labelled_at'},
    )
}}

-- The labels of each comment, computed while its text exists and kept once it is gone.
-- The retention purge (socialpulse_maintenance) NULLs the texts older than
-- SOCIALPULSE_COMMENT_RETENTION_DAYS, and a label can only be computed from a text:
-- this table is where the labels of purged comments live on.
-- A build labels what needs it, so that its cost follows the day's new comments, not
-- the history: a comment not labelled yet (even without a text), and a comment whose
-- text is held but differs from the one labelled (`text_md5`: an edit) or was labelled
-- under other rules (`labelling_version`: a digest of the taxonomy, the lexicon and
-- the Python code that applies them, socialpulse.comments.labels included, where a new
-- label would be added; an edit of any of them relabels every held text). A comment
-- whose text is gone is not selected, so delete+insert leaves its row as it was.
-- Only the comments loaded since the newest load this table holds
-- (`_last_loaded_at`) are compared (a new comment or an edited text comes with a
-- load), unless the newest labelling ran under other rules: then every comment is.
-- full_refresh=false: `dbt build --full-refresh` would otherwise recompute purged
-- comments from NULL (question false, topic autre, not abusive).
-- The UDFs (socialpulse.dbt_udfs) read the lexicon and the taxonomy files themselves;
-- the refs keep the seeds built before this model, for lineage.
-- depends_on: {{ ref('abuse_lexicon') }}
-- depends_on: {{ ref('topic_taxonomy') }}


with

{% if is_incremental() %}
{#- a table built before these columns existed: its rows are labelled again, once
    (in a unit test `this` is the given rows, which have every column) -#}
{% if this is string %}
    {% set existing = ['text_md5', 'labelling_version', '_last_loaded_at'] %}
{% else %}
    {% set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | list %}
{% endif %}
{% endif %}

comments as (

    select
        comment_id,
        message,
        _last_loaded_at

    from {{ ref('int_comments_unioned') }}
    {% if is_incremental() and '_last_loaded_at' in existing %}
    where true {{ loaded_after_watermark('_last_loaded_at') }}
        or (select arg_max(labelling_version, labelled_at) from {{ this }})
            is distinct from sp_labelling_version()
    {% endif %}

),

{% if is_incremental() %}

labelled_before as (

    select
        comment_id,
        {{ 'text_md5' if 'text_md5' in existing else 'null::varchar as text_md5' }},
        {{ 'labelling_version' if 'labelling_version' in existing else 'null::varchar as labelling_version' }}

    from {{ this }}

),

{% endif %}

-- new comments, and held texts edited or labelled under other rules
to_label as (

    select
        comments.comment_id,
        comments.message,
        comments._last_loaded_at,
        md5(comments.message) as text_md5

    from comments
    {% if is_incremental() %}
    left join labelled_before
        on comments.comment_id = labelled_before.comment_id
    where labelled_before.comment_id is null
        or (
            comments.message is not null
            and (
                labelled_before.text_md5 is distinct from md5(comments.message)
                or labelled_before.labelling_version is distinct from sp_labelling_version()
            )
        )
    {% endif %}

),

-- each distinct text once (sp_comment_labels: every label in one pass over the text)
texts_labelled as (

    select
        message,
        sp_comment_labels(message) as labels

    from (select distinct message from to_label)

),

final as (

    select
        cast(to_label.comment_id as varchar) as comment_id,
        cast(texts_labelled.labels.is_question as boolean) as is_question,
        cast(array_to_string(texts_labelled.labels.topics, '|') as varchar) as topics,
        cast(texts_labelled.labels.main_topic as varchar) as main_topic,
        cast(texts_labelled.labels.is_abusive as boolean) as is_abusive,
        cast(nullif(array_to_string(texts_labelled.labels.abuse_categories, '|'), '') as varchar)
            as abuse_categories,
        cast('{{ run_started_at.isoformat() }}' as timestamptz) as labelled_at,
        cast(to_label.text_md5 as varchar) as text_md5,
        cast(sp_labelling_version() as varchar) as labelling_version,
        cast(to_label._last_loaded_at as timestamptz) as _last_loaded_at

    from to_label
    left join texts_labelled
        on to_label.message is not distinct from texts_labelled.message

)

select * from final
