{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['week_start', 'account_id'],
        on_schema_change='append_new_columns',
        meta={'data_tests_recent_column': 'week_start'},
    )
}}

-- Each week's value next to the week before and the same ISO week last year, with the
-- deltas and why a comparison is not like for like (docs block weekly_comparison).
-- Incremental by week: a build writes the weeks from the Monday of the week
-- `reprocess_days` before the newest week it holds (the days the daily marts
-- reprocess, and the weeks after them, whose "week before" they are), reading the
-- week before and last year's week from all of int_weekly_metrics_filled; plus every
-- week of an account whose older weeks changed (a count its platform starts or stops
-- measuring turns its weeks without activity from NULL to 0, or back). A backfill
-- older than the window, or an edit of the seed metric_lineage, needs
-- `dbt build --full-refresh`, which gives the same rows.
{%- set metrics = weekly_comparison_metrics() %}
{%- if is_incremental() %}
    {%- set since -%}
        (select {{ iso_week_start('max(week_start) - ' ~ var('reprocess_days')) }} from {{ this }})
    {%- endset %}
{%- endif %}

with

weekly_metrics as (

    select * from {{ ref('int_weekly_metrics_filled') }}

),

{% if is_incremental() %}

-- what each account's weeks before the window hold, per metric: now, and as built
{%- for name, relation in [('held_now', 'weekly_metrics'), ('held_built', this)] %}
{{ name }} as (

    select
        account_id,
        metric,
        count(value) as values_held,
        count(*) as row_count

    from {{ relation }}
    where week_start < {{ since }}
    group by account_id, metric

),
{% endfor %}

-- accounts whose weeks before the window changed (rows or values gained or lost)
accounts_changed as (

    select account_id from (select * from held_now except select * from held_built)
    union
    select account_id from (select * from held_built except select * from held_now)

),

{% endif %}

-- the weeks this build writes
current_weeks as (

    select * from weekly_metrics
    {% if is_incremental() %}
    where week_start >= {{ since }}
        or account_id in (select account_id from accounts_changed)
    {% endif %}

),

metric_lineage as (

    select * from {{ ref('metric_lineage') }}

),

-- the weeks in which each account has data: its total row exists in every one
account_weeks as (

    select distinct
        account_id,
        week_start,
        days_with_data
    from weekly_metrics
    where topic = '_all'
        and format = '_all'

),

-- the warehouse columns each metric is computed from (grain of the seed metric_lineage)
metric_columns as (

    select * from (
        values
        {%- set pairs = [] %}
        {%- for metric in metrics %}
            {%- for grain, column in metric.lineage %}
                {%- do pairs.append((metric.name, grain, column)) %}
            {%- endfor %}
        {%- endfor %}
        {%- for name, grain, column in pairs %}
        ('{{ name }}', '{{ grain }}', '{{ column }}'){% if not loop.last %},{% endif %}
        {%- endfor %}
    ) as metric_columns (metric, grain, warehouse_column)

),

lineage_periods as (

    select
        platform,
        grain,
        warehouse_column,
        coalesce(nullif(api_metric, ''), 'not served') as api_metric,
        coalesce(valid_from, date '0001-01-01') as valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from metric_lineage

),

weeks_compared as (

    select distinct
        platform,
        week_start
    from weekly_metrics

    union

    select distinct
        platform,
        cast(week_start - 7 as date) as week_start
    from weekly_metrics

    union

    select distinct
        platform,
        {{ same_iso_week_last_year('week_start') }} as week_start
    from weekly_metrics

),

-- the API metrics that fed each column of each metric on some day of each week
column_lineage as (

    select
        weeks_compared.platform,
        weeks_compared.week_start,
        metric_columns.metric,
        metric_columns.warehouse_column,
        string_agg(
            distinct lineage_periods.api_metric, ' + ' order by lineage_periods.api_metric
        ) as api_metrics

    from weeks_compared
    cross join metric_columns
    inner join lineage_periods
        on weeks_compared.platform = lineage_periods.platform
        and metric_columns.grain = lineage_periods.grain
        and metric_columns.warehouse_column = lineage_periods.warehouse_column
        and lineage_periods.valid_from <= weeks_compared.week_start + 6
        and lineage_periods.valid_to >= weeks_compared.week_start
    group by
        weeks_compared.platform,
        weeks_compared.week_start,
        metric_columns.metric,
        metric_columns.warehouse_column

),

week_lineage as (

    select
        platform,
        week_start,
        metric,
        string_agg(
            warehouse_column || ' from ' || api_metrics, ', ' order by warehouse_column
        ) as api_metrics

    from column_lineage
    group by
        platform,
        week_start,
        metric

),

-- the week, the week before and the same ISO week last year side by side
compared as (

    select
        current_week.week_start,
        current_week.account_id,
        current_week.platform,
        current_week.topic,
        current_week.format,
        current_week.metric,
        current_week.value,
        current_week.days_with_data,
        {{ iso_year_week_label('current_week.week_start') }} as week_label,
        current_lineage.api_metrics,

        {{ iso_year_week_label('current_week.week_start - 7') }} as previous_week_label,
        case
            when previous_account_week.account_id is not null
                then coalesce(previous_week.value, current_week.value_if_no_activity)
        end as previous_week_value,
        coalesce(previous_account_week.days_with_data, 0) as previous_week_days_with_data,
        previous_lineage.api_metrics as previous_week_api_metrics,

        {{ same_iso_week_last_year('current_week.week_start') }} as last_year_week_start,
        case
            when last_year_account_week.account_id is not null
                then coalesce(last_year.value, current_week.value_if_no_activity)
        end as last_year_value,
        coalesce(last_year_account_week.days_with_data, 0) as last_year_days_with_data,
        last_year_lineage.api_metrics as last_year_api_metrics

    from current_weeks as current_week
    left join week_lineage as current_lineage
        on current_week.platform = current_lineage.platform
        and current_week.week_start = current_lineage.week_start
        and current_week.metric = current_lineage.metric

    left join account_weeks as previous_account_week
        on current_week.account_id = previous_account_week.account_id
        and current_week.week_start - 7 = previous_account_week.week_start
    left join weekly_metrics as previous_week
        on current_week.account_id = previous_week.account_id
        and current_week.week_start - 7 = previous_week.week_start
        and current_week.topic = previous_week.topic
        and current_week.format = previous_week.format
        and current_week.metric = previous_week.metric
    left join week_lineage as previous_lineage
        on current_week.platform = previous_lineage.platform
        and current_week.week_start - 7 = previous_lineage.week_start
        and current_week.metric = previous_lineage.metric

    left join account_weeks as last_year_account_week
        on current_week.account_id = last_year_account_week.account_id
        and {{ same_iso_week_last_year('current_week.week_start') }} = last_year_account_week.week_start
    left join weekly_metrics as last_year
        on current_week.account_id = last_year.account_id
        and {{ same_iso_week_last_year('current_week.week_start') }} = last_year.week_start
        and current_week.topic = last_year.topic
        and current_week.format = last_year.format
        and current_week.metric = last_year.metric
    left join week_lineage as last_year_lineage
        on current_week.platform = last_year_lineage.platform
        and {{ same_iso_week_last_year('current_week.week_start') }} = last_year_lineage.week_start
        and current_week.metric = last_year_lineage.metric

),

-- why a comparison is not like for like; NULL when it is
reasons as (

    select
        *,
        nullif(
            concat_ws(
                '; ',
                case
                    when coalesce(api_metrics, '') <> coalesce(previous_week_api_metrics, '')
                        then 'metric lineage (' || platform || '): ' || week_label || ' '
                            || coalesce(api_metrics, 'unknown') || ', ' || previous_week_label || ' '
                            || coalesce(previous_week_api_metrics, 'unknown')
                end,
                {{ coverage_reason('week_label', 'days_with_data') }},
                {{ coverage_reason('previous_week_label', 'previous_week_days_with_data') }}
            ),
            ''
        ) as unfair_reason_previous_week,
        nullif(
            concat_ws(
                '; ',
                case
                    when last_year_week_start is null
                        then 'ISO year ' || cast(isoyear(week_start) - 1 as varchar)
                            || ' has no week ' || cast(week(week_start) as varchar)
                    when coalesce(api_metrics, '') <> coalesce(last_year_api_metrics, '')
                        then 'metric lineage (' || platform || '): ' || week_label || ' '
                            || coalesce(api_metrics, 'unknown') || ', '
                            || {{ iso_year_week_label('last_year_week_start') }} || ' '
                            || coalesce(last_year_api_metrics, 'unknown')
                end,
                {{ coverage_reason('week_label', 'days_with_data') }},
                case
                    when last_year_week_start is not null
                        then {{ coverage_reason(iso_year_week_label('last_year_week_start'), 'last_year_days_with_data') }}
                end
            ),
            ''
        ) as unfair_reason_last_year

    from compared

),

final as (

    select
        cast(isoyear(week_start) as integer) as iso_year,
        cast(week(week_start) as integer) as iso_week,
        cast(week_start as date) as week_start,
        cast(account_id as varchar) as account_id,
        cast(platform as varchar) as platform,
        cast(topic as varchar) as topic,
        cast(format as varchar) as format,
        cast(metric as varchar) as metric,
        cast(value as double) as value,
        cast(days_with_data as integer) as days_with_data,
        cast(previous_week_value as double) as previous_week_value,
        {{ abs_delta('value', 'previous_week_value') }} as previous_week_abs_delta,
        {{ pct_delta('value', 'previous_week_value') }} as previous_week_pct_delta,
        cast(previous_week_days_with_data as integer) as previous_week_days_with_data,
        cast(unfair_reason_previous_week is not null as boolean) as is_comparison_unfair_previous_week,
        cast(unfair_reason_previous_week as varchar) as unfair_reason_previous_week,
        cast(last_year_week_start as date) as last_year_week_start,
        cast(last_year_value as double) as last_year_value,
        {{ abs_delta('value', 'last_year_value') }} as last_year_abs_delta,
        {{ pct_delta('value', 'last_year_value') }} as last_year_pct_delta,
        cast(last_year_days_with_data as integer) as last_year_days_with_data,
        cast(unfair_reason_last_year is not null as boolean) as is_comparison_unfair_last_year,
        cast(unfair_reason_last_year as varchar) as unfair_reason_last_year

    from reasons

)

select * from final
