-- Two API metrics cannot feed the same warehouse column on the same day: every row
-- returned is a pair of overlapping validity periods in seeds/metric_lineage.csv.
with

lineage as (

    select * from {{ ref('metric_lineage') }}
    where valid_from is not null

),

final as (

    select
        a.platform,
        a.grain,
        a.warehouse_column,
        a.api_metric as first_metric,
        b.api_metric as second_metric,
    from lineage as a
    inner join lineage as b
        on a.platform = b.platform
        and a.grain = b.grain
        and a.warehouse_column = b.warehouse_column
        and a.api_metric < b.api_metric
        and a.valid_from <= coalesce(b.valid_to, date '9999-12-31')
        and b.valid_from <= coalesce(a.valid_to, date '9999-12-31')

)

select * from final
