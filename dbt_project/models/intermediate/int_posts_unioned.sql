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

unioned as (

    {{ union_platforms(['facebook'], columns) }}

),

final as (

    select * from unioned

)

select * from final
