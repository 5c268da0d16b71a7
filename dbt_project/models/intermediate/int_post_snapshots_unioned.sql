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

unioned as (

    {{ union_platforms(['facebook'], columns) }}

),

final as (

    select * from unioned

)

select * from final
