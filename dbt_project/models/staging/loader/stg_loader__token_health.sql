with

source as (

    select * from {{ source('loader', 'token_health') }}

),

final as (

    select
        -- ids
        cast(platform as varchar) as platform,
        cast(account_key as varchar) as account_key,
        cast(account_id as varchar) as account_id,

        -- what the extract tasks recorded
        cast(last_successful_call_at as timestamptz) as last_successful_call_at,
        cast(token_expires_at as timestamptz) as token_expires_at,
        cast(auth_failed_at as timestamptz) as auth_failed_at,
        cast(loaded_at as timestamptz) as loaded_at

    from source

)

select * from final
