{%- set columns = [
    'post_id',
    'platform_post_id',
    'account_id',
    'platform',
    'published_at',
    'published_date',
    'message',
    'permalink_url',
    'status_type',
    'format',
] -%}

with

-- one import CTE per platform; add its name to the union below
facebook as (

    select * from {{ ref('int_facebook__posts_deduplicated') }}

),

instagram as (

    select * from {{ ref('int_instagram__posts_deduplicated') }}

),

linkedin as (

    select * from {{ ref('int_linkedin__posts_deduplicated') }}

),

x as (

    select * from {{ ref('int_x__posts_deduplicated') }}

),

bluesky as (

    select * from {{ ref('int_bluesky__posts_deduplicated') }}

),

mastodon as (

    select * from {{ ref('int_mastodon__posts_deduplicated') }}

),

unioned as (

    {{ union_platforms(['facebook', 'instagram', 'linkedin', 'x', 'bluesky', 'mastodon'], columns) }}

),

final as (

    select * from unioned

)

select * from final
