with

source as (

    select * from {{ source('instagram', 'instagram__account_insights') }}

),

final as (

    select
        -- ids
        'instagram:' || ig_user_id as account_id,
        'instagram' as platform,
        ig_user_id as platform_account_id,
        _account_key as account_key,

        -- measure
        metric as metric_name,
        metric_type,
        period,
        cast(value as bigint) as metric_value,

        -- dates: the connector stores the UTC day a value covers (time_series values
        -- stamped end_time D hold day D - 1; total_value values are asked one day at a time)
        cast(report_date as date) as report_date,
        end_time as period_end_at,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
