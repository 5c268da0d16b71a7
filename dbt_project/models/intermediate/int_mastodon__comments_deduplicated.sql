{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='comment_id',
        on_schema_change='append_new_columns',
        meta={'data_tests_recent_column': 'created_at'},
    )
}}

-- A table, incremental on loads (macro loaded_since_last_build): a build reranks every
-- extraction of the comments a load brought since the last build, and only those.

with

comments as (

    select * from {{ ref('stg_mastodon__comments') }}
    where true {{ loaded_since_last_build('comment_id', ref('stg_mastodon__comments')) }}

),

posts as (

    select * from {{ ref('int_mastodon__posts_deduplicated') }}

),

ranked as (

    select
        *,
        {{ latest_extraction_first(['comment_id']) }} as extraction_rank,
        -- the newest load of any of its extractions: the watermark
        max(_loaded_at) over (partition by comment_id) as _last_loaded_at
    from comments

),

final as (

    select
        ranked.comment_id,
        ranked.platform_comment_id,
        ranked.post_id,
        ranked.account_id,
        ranked.platform,
        ranked.parent_comment_id,
        ranked.author_pseudo_id as author_pseudonym,
        -- the account's own answers: the reply's account id = the account's id
        ranked.is_from_page as is_by_account,
        ranked.message,
        ranked.commented_at as created_at,
        ranked.likes as like_count,
        -- the reply's own `url` holds its author's handle (never landed); its status id
        -- is that of the account's instance (its post's host), where the web app opens
        -- /statuses/<id>
        nullif(regexp_extract(posts.permalink_url, '^https?://[^/]+'), '')
        || '/statuses/' || ranked.platform_comment_id as permalink_url,
        ranked._ds,
        ranked._extracted_at,
        ranked._last_loaded_at

    from ranked
    left join posts
        on ranked.post_id = posts.post_id
    where ranked.extraction_rank = 1

)

select * from final
