{{ config(materialized='table') }}

{#- A table, not a view: the comment models and the tests on comments read it about ten
    times per build, and each read of a view would deduplicate every extraction again. #}

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
] -%}

with

-- one import CTE per platform; add its name to the union below
facebook as (

    select * from {{ ref('int_facebook__comments_deduplicated') }}

),

instagram as (

    select * from {{ ref('int_instagram__comments_deduplicated') }}

),

linkedin as (

    select * from {{ ref('int_linkedin__comments_deduplicated') }}

),

x as (

    select * from {{ ref('int_x__comments_deduplicated') }}

),

bluesky as (

    select * from {{ ref('int_bluesky__comments_deduplicated') }}

),

mastodon as (

    select * from {{ ref('int_mastodon__comments_deduplicated') }}

),

unioned as (

    {{ union_platforms(['facebook', 'instagram', 'linkedin', 'x', 'bluesky', 'mastodon'], columns) }}

),

final as (

    select * from unioned

)

select * from final
