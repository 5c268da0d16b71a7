{%- set columns = [
    'account_id',
    'platform',
    'platform_account_id',
    'account_key',
    'account_name',
    'account_url',
    'category',
] -%}

with

-- one import CTE per platform; add its name to the union below
facebook as (

    select * from {{ ref('int_facebook__accounts_deduplicated') }}

),

instagram as (

    select * from {{ ref('int_instagram__accounts_deduplicated') }}

),

linkedin as (

    select * from {{ ref('int_linkedin__accounts_deduplicated') }}

),

x as (

    select * from {{ ref('int_x__accounts_deduplicated') }}

),

bluesky as (

    select * from {{ ref('int_bluesky__accounts_deduplicated') }}

),

mastodon as (

    select * from {{ ref('int_mastodon__accounts_deduplicated') }}

),

unioned as (

    {{ union_platforms(['facebook', 'instagram', 'linkedin', 'x', 'bluesky', 'mastodon'], columns) }}

),

final as (

    select * from unioned

)

select * from final
