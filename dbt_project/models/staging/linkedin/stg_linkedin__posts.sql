with

source as (

    select * from {{ source('linkedin', 'linkedin__posts') }}

),

final as (

    select
        -- ids
        'linkedin:' || post_urn as post_id,
        post_urn as platform_post_id,
        'linkedin:' || organization_id as account_id,
        'linkedin' as platform,
        organization_id as platform_account_id,
        _account_key as account_key,

        -- attributes
        commentary as message,
        permalink_url,
        case media_type
            when 'image' then 'photo'
            when 'video' then 'video'
            when 'article' then 'link'
            when 'none' then 'text'
            else 'other'
        end as format,
        media_type,
        article_url,
        visibility,
        lifecycle_state,

        -- dates and timestamps
        created_at as published_at,
        {{ date_in_zone('created_at', 'Europe/Paris') }} as published_date,
        last_modified_at,
        fetched_at,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from final
