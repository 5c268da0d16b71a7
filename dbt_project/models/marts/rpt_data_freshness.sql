{#-
    The reference instant (measured_at): var `as_of` (what the build DAG passes: the end
    of the newest day loaded, e.g. `--vars '{as_of: "2026-11-20"}'` = 2026-11-20 00:00 UTC),
    else the same instant computed from the load ledger. Never "now": rebuilding the same
    loads gives the same rows. Method: docs block `data_freshness` (freshness.md).
-#}
{%- set as_of = var('as_of', none) -%}

with

accounts as (

    select * from {{ ref('dim_accounts') }}

),

landing_files as (

    select * from {{ ref('stg_loader__landing_files') }}

),

account_daily as (

    select * from {{ ref('fct_account_daily') }}

),

posts as (

    select * from {{ ref('dim_posts') }}

),

comments as (

    select * from {{ ref('fct_comments') }}

),

limits as (

    select * from {{ ref('freshness_limits') }}

),

-- the daily extractions only: the veille's hourly comment files never complete a day
daily_files as (

    select * from landing_files
    where not is_hourly

),

reference as (

    select
    {%- if as_of %}
        cast('{{ as_of }}' as timestamptz) as measured_at
    {%- else %}
        -- as the build DAG computes it: the end (00:00 UTC the next day) of the newest day loaded
        timezone('UTC', cast(max(ds) as timestamp) + interval 1 day) as measured_at
    from daily_files
    {%- endif %}

),

entities_newest as (

    select
        platform,
        account_key,
        entity,
        max(ds) as newest_ds,
        max(loaded_at) as last_loaded_at
    from daily_files
    group by platform, account_key, entity

),

-- the newest day loaded for any entity, and the newest day loaded for every entity
-- (a run that landed posts but not yet insights has not completed its day)
accounts_loaded as (

    select
        platform,
        account_key,
        max(newest_ds) as newest_loaded_ds,
        min(newest_ds) as data_as_of,
        max(last_loaded_at) as last_loaded_at
    from entities_newest
    group by platform, account_key

),

entities_lagging as (

    select
        entities_newest.platform,
        entities_newest.account_key,
        string_agg(entities_newest.entity, '|' order by entities_newest.entity) as lagging_entities
    from entities_newest
    inner join accounts_loaded
        on entities_newest.platform = accounts_loaded.platform
        and entities_newest.account_key = accounts_loaded.account_key
    where entities_newest.newest_ds < accounts_loaded.newest_loaded_ds
    group by entities_newest.platform, entities_newest.account_key

),

report_dates as (

    select
        account_id,
        max(report_date) as newest_report_date
    from account_daily
    group by account_id

),

publications as (

    select
        account_id,
        max(published_at) as newest_published_at
    from posts
    group by account_id

),

comment_times as (

    select
        account_id,
        max(created_at) as newest_comment_created_at
    from comments
    group by account_id

),

measured as (

    select
        accounts.platform,
        accounts.account_id,
        accounts.account_key,
        accounts.account_name,
        accounts_loaded.newest_loaded_ds,
        accounts_loaded.data_as_of,
        entities_lagging.lagging_entities,
        report_dates.newest_report_date,
        publications.newest_published_at,
        comment_times.newest_comment_created_at,
        accounts_loaded.last_loaded_at,
        reference.measured_at,
        (
            epoch(reference.measured_at)
            - epoch(timezone('UTC', cast(accounts_loaded.data_as_of as timestamp) + interval 1 day))
        ) / 3600.0 as age_hours,
        limits.max_age_hours

    from accounts
    cross join reference
    left join accounts_loaded
        on accounts.platform = accounts_loaded.platform
        and accounts.account_key = accounts_loaded.account_key
    left join entities_lagging
        on accounts.platform = entities_lagging.platform
        and accounts.account_key = entities_lagging.account_key
    left join report_dates
        on accounts.account_id = report_dates.account_id
    left join publications
        on accounts.account_id = publications.account_id
    left join comment_times
        on accounts.account_id = comment_times.account_id
    left join limits
        on accounts.platform = limits.platform

),

final as (

    select
        cast(platform as varchar) as platform,
        cast(account_id as varchar) as account_id,
        cast(account_key as varchar) as account_key,
        cast(account_name as varchar) as account_name,
        cast(data_as_of as date) as data_as_of,
        cast(newest_loaded_ds as date) as newest_loaded_ds,
        cast(lagging_entities as varchar) as lagging_entities,
        cast(newest_report_date as date) as newest_report_date,
        cast(newest_published_at as timestamptz) as newest_published_at,
        cast(newest_comment_created_at as timestamptz) as newest_comment_created_at,
        cast(last_loaded_at as timestamptz) as last_loaded_at,
        cast(measured_at as timestamptz) as measured_at,
        cast(age_hours as double) as age_hours,
        cast(max_age_hours as bigint) as max_age_hours,
        -- nothing loaded at all (or no limit for the platform) is stale too
        cast(coalesce(age_hours > max_age_hours, true) as boolean) as is_stale

    from measured

)

select * from final
