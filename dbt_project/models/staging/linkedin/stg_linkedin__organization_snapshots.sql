with

source as (

    select * from {{ source('linkedin', 'linkedin__organization_snapshots') }}

),

final as (

    select
        -- ids
        'linkedin:' || organization_id as account_id,
        'linkedin' as platform,
        organization_id as platform_account_id,
        _account_key as account_key,
        organization_urn,

        -- attributes
        name as account_name,
        vanity_name,
        'https://www.linkedin.com/company/' || vanity_name || '/' as account_url,
        api_version,

        -- counters
        cast(followers_count as bigint) as followers,

        -- timestamps
        token_authorized_at,
        token_expires_at,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
