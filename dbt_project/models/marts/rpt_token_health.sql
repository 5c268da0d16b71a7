{#-
    The reference instant (measured_at): var `as_of` (the build DAG's end of the newest
    day loaded), else the newest successful call recorded, else the time the state was
    loaded. Never "now": rebuilding from the same state gives the same rows.
-#}
{%- set as_of = var('as_of', none) -%}

with

token_health as (

    select * from {{ ref('stg_loader__token_health') }}

),

reference as (

    {%- if as_of %}
    select cast('{{ as_of }}' as timestamptz) as measured_at
    {%- else %}
    select coalesce(max(last_successful_call_at), max(loaded_at)) as measured_at
    from token_health
    {%- endif %}

),

days_counted as (

    select
        token_health.platform,
        token_health.account_key,
        token_health.account_id,
        token_health.last_successful_call_at,
        token_health.token_expires_at,
        token_health.auth_failed_at,
        reference.measured_at,
        cast(
            floor((epoch(token_health.token_expires_at) - epoch(reference.measured_at)) / 86400) as integer
        ) as days_to_expiry
    from token_health
    cross join reference

),

statuses_assigned as (

    select
        *,
        case
            when token_expires_at is null then 'unknown expiry'
            when token_expires_at <= measured_at then 'expired'
            when token_expires_at <= measured_at + to_days({{ var('token_alert_days', 14) }}) then 'expiring'
            else 'ok'
        end as token_status,
        auth_failed_at is not null as is_auth_failing
    from days_counted

),

final as (

    select
        platform,
        account_key,
        account_id,
        last_successful_call_at,
        token_expires_at,
        days_to_expiry,
        token_status,
        is_auth_failing,
        auth_failed_at,
        measured_at
    from statuses_assigned

)

select * from final
