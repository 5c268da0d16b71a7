{#-
    Which hour of the day (Europe/Paris) works best on each platform: the posts
    published in the trailing window (macro best_window_posts, docs block
    best_format_and_hour), per hour of publication.
-#}

with

posts as (

    select * from {{ ref('dim_posts') }}

),

post_engagement as (

    select * from {{ ref('fct_post_engagement') }}

),

window_posts as (

    {{ best_window_posts('posts', 'post_engagement') }}

),

per_hour as (

    select
        platform,
        hour_of_day,
        min(window_start_date) as window_start_date,
        min(window_end_date) as window_end_date,
        count(*) as posts,
        count(engagement_rate) as posts_with_rate,
        median(engagements) as engagements_median,
        -- rounded: a parallel float average can differ in its last bits between two runs
        round(avg(engagements), 9) as engagements_mean,
        median(engagement_rate) as engagement_rate_median,
        round(avg(engagement_rate), 12) as engagement_rate_mean

    from window_posts
    group by
        platform,
        hour_of_day

),

ranked as (

    {{ best_slot_ranks('per_hour') }}

),

final as (

    select
        cast(platform as varchar) as platform,
        cast(hour_of_day as integer) as hour_of_day,
        cast(window_start_date as date) as window_start_date,
        cast(window_end_date as date) as window_end_date,
        cast(posts as bigint) as posts,
        cast(posts_with_rate as bigint) as posts_with_rate,
        cast(engagements_median as double) as engagements_median,
        cast(engagements_mean as double) as engagements_mean,
        cast(engagement_rate_median as double) as engagement_rate_median,
        cast(engagement_rate_mean as double) as engagement_rate_mean,
        cast(is_small_sample as boolean) as is_small_sample,
        cast(rank_by_engagements as integer) as rank_by_engagements,
        cast(rank_by_engagement_rate as integer) as rank_by_engagement_rate

    from ranked

)

select * from final
