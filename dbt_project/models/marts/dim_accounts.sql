with

accounts as (

    select * from {{ ref('int_accounts_unioned') }}

),

account_daily as (

    select * from {{ ref('int_account_daily_unioned') }}

),

report_date_ranges as (

    select
        account_id,
        min(report_date) as first_report_date,
        max(report_date) as last_report_date
    from account_daily
    group by account_id

),

final as (

    select
        cast(accounts.account_id as varchar) as account_id,
        cast(accounts.platform as varchar) as platform,
        cast(accounts.platform_account_id as varchar) as platform_account_id,
        cast(accounts.account_key as varchar) as account_key,
        cast(accounts.account_name as varchar) as account_name,
        cast(accounts.account_url as varchar) as account_url,
        cast(accounts.category as varchar) as category,
        cast(report_date_ranges.first_report_date as date) as first_report_date,
        cast(report_date_ranges.last_report_date as date) as last_report_date

    from accounts
    left join report_date_ranges
        on accounts.account_id = report_date_ranges.account_id

)

select * from final
