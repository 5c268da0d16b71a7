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

unioned as (

    {{ union_platforms(['facebook'], columns) }}

),

final as (

    select * from unioned

)

select * from final
