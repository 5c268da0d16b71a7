{{ config(meta={'data_tests_recent_column': 'snapshot_date'}) }}

{%- set columns = [
    'post_id',
    'account_id',
    'platform',
    'snapshot_date',
    'views',
    'views_paid',
    'views_organic',
    'reach',
    'reactions',
    'comments',
    'shares',
    'clicks',
] -%}

with

-- one import CTE per platform; add its name to the union below
facebook as (

    select * from {{ ref('int_facebook__post_snapshots_pivoted') }}

),

instagram as (

    select * from {{ ref('int_instagram__post_snapshots_pivoted') }}

),

linkedin as (

    select * from {{ ref('int_linkedin__post_snapshots_pivoted') }}

),

x as (

    select * from {{ ref('int_x__post_snapshots_pivoted') }}

),

bluesky as (

    select * from {{ ref('int_bluesky__post_snapshots_pivoted') }}

),

mastodon as (

    select * from {{ ref('int_mastodon__post_snapshots_pivoted') }}

),

unioned as (

    {{ union_platforms(['facebook', 'instagram', 'linkedin', 'x', 'bluesky', 'mastodon'], columns) }}

),

final as (

    select * from unioned

)

select * from final
