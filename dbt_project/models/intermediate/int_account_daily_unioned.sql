{{ config(meta={'data_tests_recent_column': 'report_date'}) }}

{%- set columns = [
    'account_id',
    'platform',
    'report_date',
    'followers',
    'follows',
    'unfollows',
    'views',
    'views_paid',
    'views_organic',
    'reach',
    'post_engagements',
    'page_views',
] -%}

with

-- one import CTE per platform; add its name to the union below
facebook as (

    select * from {{ ref('int_facebook__account_daily_pivoted') }}

),

instagram as (

    select * from {{ ref('int_instagram__account_daily_pivoted') }}

),

linkedin as (

    select * from {{ ref('int_linkedin__account_daily_pivoted') }}

),

x as (

    select * from {{ ref('int_x__account_daily_pivoted') }}

),

bluesky as (

    select * from {{ ref('int_bluesky__account_daily_pivoted') }}

),

mastodon as (

    select * from {{ ref('int_mastodon__account_daily_pivoted') }}

),

unioned as (

    {{ union_platforms(['facebook', 'instagram', 'linkedin', 'x', 'bluesky', 'mastodon'], columns) }}

),

final as (

    select * from unioned

)

select * from final
