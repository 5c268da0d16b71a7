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

replies as (

    select * from {{ ref('stg_x__replies') }}
    where true {{ loaded_since_last_build('comment_id', ref('stg_x__replies')) }}

),

ranked as (

    select
        *,
        {{ latest_extraction_first(['comment_id']) }} as extraction_rank,
        -- the newest load of any of its extractions: the watermark
        max(_loaded_at) over (partition by comment_id) as _last_loaded_at
    from replies

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
        -- the account's own answers: the reply's `author_id` = the account's user id
        is_from_account as is_by_account,
        message,
        commented_at as created_at,
        likes as like_count,
        -- x.com/i/web/status/<reply id>, built in staging (no handle needed)
        permalink_url,
        _ds,
        _extracted_at,
        _last_loaded_at

    from ranked
    where extraction_rank = 1

)

select * from final
