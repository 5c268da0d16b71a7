with

source as (

    select * from {{ source('loader', 'load_log') }}

),

final as (

    select
        -- ids
        cast(landing_file as varchar) as landing_file,
        cast(platform as varchar) as platform,
        cast(entity as varchar) as entity,
        cast(ds as date) as ds,
        cast(account_key as varchar) as account_key,

        -- what was loaded, and when
        cast(row_count as bigint) as row_count,
        cast(loaded_at as timestamptz) as loaded_at,

        -- the veille's hourly partitions: landing/platform=…/entity=comments/ds=…/hour=HH/
        landing_file like '%/hour=%' as is_hourly

    from source

)

select * from final
