{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='comment_id',
        on_schema_change='append_new_columns',
        meta={'data_tests_recent_column': 'created_at'},
    )
}}

{#- A table, not a view: the comment models and the tests on comments read it about ten
    times per build. Incremental on loads: a build takes from each platform's table the
    comments whose extractions a load brought since the last build (their
    `_last_loaded_at` newer than the newest of that platform here), so its cost follows
    the day's comments, not the history. Per platform, so that a build of one platform's
    models (`--select`) leaves the others' new comments for a later build. #}

{%- set columns = [
    'comment_id',
    'platform_comment_id',
    'post_id',
    'account_id',
    'platform',
    'parent_comment_id',
    'author_pseudonym',
    'is_by_account',
    'message',
    'created_at',
    'like_count',
    'permalink_url',
    '_last_loaded_at',
] -%}

with

-- one import CTE per platform; add its name to the union below
facebook as (

    select * from {{ ref('int_facebook__comments_deduplicated') }}
    where true {{ loaded_after_watermark('_last_loaded_at', where="platform = 'facebook'") }}

),

instagram as (

    select * from {{ ref('int_instagram__comments_deduplicated') }}
    where true {{ loaded_after_watermark('_last_loaded_at', where="platform = 'instagram'") }}

),

linkedin as (

    select * from {{ ref('int_linkedin__comments_deduplicated') }}
    where true {{ loaded_after_watermark('_last_loaded_at', where="platform = 'linkedin'") }}

),

x as (

    select * from {{ ref('int_x__comments_deduplicated') }}
    where true {{ loaded_after_watermark('_last_loaded_at', where="platform = 'x'") }}

),

bluesky as (

    select * from {{ ref('int_bluesky__comments_deduplicated') }}
    where true {{ loaded_after_watermark('_last_loaded_at', where="platform = 'bluesky'") }}

),

mastodon as (

    select * from {{ ref('int_mastodon__comments_deduplicated') }}
    where true {{ loaded_after_watermark('_last_loaded_at', where="platform = 'mastodon'") }}

),

unioned as (

    {{ union_platforms(['facebook', 'instagram', 'linkedin', 'x', 'bluesky', 'mastodon'], columns) }}

),

final as (

    select * from unioned

)

select * from final
