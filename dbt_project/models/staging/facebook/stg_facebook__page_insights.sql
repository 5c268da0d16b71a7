with

source as (

    select * from {{ source('facebook', 'facebook__page_insights') }}

),

final as (

    select
        -- ids
        'facebook:' || page_id as account_id,
        'facebook' as platform,
        page_id as platform_account_id,
        _account_key as account_key,

        -- measure
        metric as metric_name,
        period,
        breakdown,
        breakdown_value,
        cast(value as bigint) as metric_value,

        -- dates: the value stamped end_time D holds Facebook's reporting day D - 1
        end_time as period_end_at,
        case
            when period = 'day'
                then cast({{ dbt.dateadd('day', -1, date_in_zone('end_time', 'UTC')) }} as date)
        end as report_date,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
