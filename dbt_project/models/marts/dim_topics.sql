with

taxonomy as (

    select * from {{ ref('topic_taxonomy') }}

),

edited as (

    select
        cast(topic as varchar) as topic,
        cast(label as varchar) as topic_label,
        cast(keywords as varchar) as keywords,
        false as is_fallback

    from taxonomy

),

-- what sp_topics returns when no keyword matches (socialpulse.topics.FALLBACK_TOPIC)
fallback as (

    select
        'autre' as topic,
        'Autre (aucun thème reconnu)' as topic_label,
        cast(null as varchar) as keywords,
        true as is_fallback

),

final as (

    select * from edited
    union all
    select * from fallback

)

select * from final
