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

unioned as (

    {{ union_platforms(['facebook'], columns) }}

),

final as (

    select * from unioned

)

select * from final
