{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['account_id', 'snapshot_date', 'audience', 'age_bucket', 'gender'],
        on_schema_change='fail',
    )
}}

with

-- the days to (re)build: all of them on a full build, the last `reprocess_days`
-- days of the table on an incremental one (macro incremental_window). Instagram is
-- the only platform that serves age and gender (docs block audience_buckets): a
-- second one would come through an int_audience_unioned model.
audience as (

    select * from {{ ref('int_instagram__audience_bucketed') }}
    where true {{ incremental_window('snapshot_date') }}

),

-- people of known age and gender that the platform served (withheld buckets excluded)
served_totals as (

    select
        account_id,
        snapshot_date,
        audience,
        sum(audience_count) as served_count
    from audience
    group by
        account_id,
        snapshot_date,
        audience

),

final as (

    select
        cast(audience.account_id as varchar) as account_id,
        cast(audience.platform as varchar) as platform,
        cast(audience.snapshot_date as date) as snapshot_date,
        cast(audience.audience as varchar) as audience,
        cast(audience.age_bucket as varchar) as age_bucket,
        cast(audience.gender as varchar) as gender,
        cast(audience.age_bucket in ('13-17', '18-24') as boolean) as is_youth,
        cast(audience.audience_count as bigint) as audience_count,
        cast(audience.is_withheld as boolean) as is_withheld,
        {{ safe_ratio('audience.audience_count', 'served_totals.served_count') }} as audience_share

    from audience
    inner join served_totals
        on audience.account_id = served_totals.account_id
        and audience.snapshot_date = served_totals.snapshot_date
        and audience.audience = served_totals.audience

)

select * from final
