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

    select * from {{ ref('stg_linkedin__comments') }}
    where true {{ loaded_since_last_build('comment_id', ref('stg_linkedin__comments')) }}

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
        comment_id,
        platform_comment_id,
        post_id,
        account_id,
        platform,
        parent_comment_id,
        author_pseudo_id as author_pseudonym,
        -- the organization's own answers: the comment's actor = the organization URN
        is_from_page as is_by_account,
        message,
        commented_at as created_at,
        likes as like_count,
        -- the API serves no comment URL; linkedin.com opens one from its post's feed URL
        -- with commentUrn (a reply: its parent's URN, then replyUrn), percent-encoded
        'https://www.linkedin.com/feed/update/' || regexp_replace(post_id, '^linkedin:', '')
        || case
            when parent_comment_id is null
                then '?commentUrn=' || url_encode(platform_comment_id)
            else
                '?commentUrn=' || url_encode(regexp_replace(parent_comment_id, '^linkedin:', ''))
                || '&replyUrn=' || url_encode(platform_comment_id)
        end as permalink_url,
        _ds,
        _extracted_at,
        _last_loaded_at

    from ranked
    where extraction_rank = 1

)

select * from final
