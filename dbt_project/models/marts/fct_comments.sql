{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='comment_id',
        on_schema_change='append_new_columns',
        meta={'data_tests_recent_column': 'created_at'},
    )
}}

-- The labels (question, topics, abuse) come from int_comment_labels, computed while
-- each text existed: a comment whose text the retention purge erased keeps them.
-- The ref keeps dim_topics built before this model, for the relationships test of
-- main_topic.
-- depends_on: {{ ref('dim_topics') }}

-- Incremental on loads: a build rewrites only the comments that may have changed since
-- the last one (cte `to_build`): those a load brought (their `loaded_at` newer than the
-- newest here), those answered by an account reply a load brought, those labelled again
-- (`labelled_at`), and those whose post only now has a permalink. Everything else
-- depends on nothing that changed. `--full-refresh` gives the same result.

with

{% if is_incremental() %}

to_build as (

    select comment_id
    from {{ ref('int_comments_unioned') }}
    where true {{ loaded_after_watermark('_last_loaded_at', 'loaded_at') }}

    union

    select parent_comment_id as comment_id
    from {{ ref('int_comments_unioned') }}
    where is_by_account
        and parent_comment_id is not null
        {{ loaded_after_watermark('_last_loaded_at', 'loaded_at') }}

    union

    select comment_id
    from {{ ref('int_comment_labels') }}
    where labelled_at > (
        select coalesce(max(labelled_at), '-infinity'::timestamptz) from {{ this }}
    )

    union

    select built.comment_id
    from {{ this }} as built
    inner join {{ ref('dim_posts') }} as posts
        on built.post_id = posts.post_id
    where built.post_permalink_url is null
        and posts.permalink_url is not null

),

{% endif %}

comments as (

    select * from {{ ref('int_comments_unioned') }}
    {% if is_incremental() %}
    where comment_id in (select comment_id from to_build)
    {% endif %}

),

labels as (

    select * from {{ ref('int_comment_labels') }}

),

posts as (

    select * from {{ ref('dim_posts') }}

),

-- the account's own replies, by the comment they answer
account_replies as (

    select
        parent_comment_id as comment_id,
        min(created_at) as answered_at

    from {{ ref('int_comments_unioned') }}
    where is_by_account
        and parent_comment_id is not null
        {% if is_incremental() %}
        and parent_comment_id in (select comment_id from to_build)
        {% endif %}
    group by parent_comment_id

),

classified as (

    select
        comments.*,
        labels.is_question,
        labels.topics,
        labels.main_topic,
        labels.is_abusive,
        labels.abuse_categories,
        labels.labelled_at

    from comments
    left join labels
        on comments.comment_id = labels.comment_id

),

final as (

    select
        cast(classified.comment_id as varchar) as comment_id,
        cast(classified.platform_comment_id as varchar) as platform_comment_id,
        cast(classified.post_id as varchar) as post_id,
        cast(classified.account_id as varchar) as account_id,
        cast(classified.platform as varchar) as platform,
        cast(classified.parent_comment_id as varchar) as parent_comment_id,
        cast(classified.author_pseudonym as varchar) as author_pseudonym,
        cast(classified.is_by_account as boolean) as is_by_account,
        cast(classified.message as varchar) as message,
        cast(classified.created_at as timestamptz) as created_at,
        {{ date_in_zone('classified.created_at', 'Europe/Paris') }} as created_date,
        cast(classified.like_count as bigint) as like_count,
        cast(classified.is_question as boolean) as is_question,
        cast(classified.topics as varchar) as topics,
        cast(classified.main_topic as varchar) as main_topic,
        cast(classified.is_abusive as boolean) as is_abusive,
        cast(classified.abuse_categories as varchar) as abuse_categories,
        cast(account_replies.answered_at as timestamptz) as answered_at,
        cast(
            epoch(account_replies.answered_at) - epoch(classified.created_at) as double
        ) / 3600.0 as response_delay_hours,
        account_replies.answered_at is not null as is_answered,
        cast(classified.permalink_url as varchar) as permalink_url,
        cast(posts.permalink_url as varchar) as post_permalink_url,
        cast(classified._last_loaded_at as timestamptz) as loaded_at,
        cast(classified.labelled_at as timestamptz) as labelled_at

    from classified
    left join account_replies
        on classified.comment_id = account_replies.comment_id
    left join posts
        on classified.post_id = posts.post_id

)

select * from final
