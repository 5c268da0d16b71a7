{#-
    Shared by rpt_best_format and rpt_best_hour (docs block best_format_and_hour).

    best_window_posts(posts, post_engagement): from dim_posts and fct_post_engagement
    (the relations or CTE names given), the posts published in the trailing window, one row each with
    its lifetime engagements and engagement rate as of its latest snapshot, its format
    and its Europe/Paris hour of publication. The window ends `best_settle_days` days
    before the latest snapshot date of the warehouse (younger posts are still gaining
    engagement) and spans `best_window_days` Europe/Paris publication days: a pure
    function of the warehouse, never of today's date.
-#}
{% macro best_window_posts(posts, post_engagement) -%}
    {%- set window_days = var('best_window_days', 90) | int -%}
    {%- set settle_days = var('best_settle_days', 3) | int -%}
    select
        posts.post_id,
        posts.platform,
        posts.format,
        cast(hour(timezone('Europe/Paris', posts.published_at)) as integer) as hour_of_day,
        post_engagement.engagements,
        post_engagement.engagement_rate,
        bounds.window_start_date,
        bounds.window_end_date

    from {{ posts }} as posts
    inner join {{ post_engagement }} as post_engagement
        on posts.post_id = post_engagement.post_id
    cross join (
        select
            cast(max(snapshot_date) - {{ settle_days }} - {{ window_days - 1 }} as date) as window_start_date,
            cast(max(snapshot_date) - {{ settle_days }} as date) as window_end_date
        from {{ post_engagement }}
    ) as bounds
    where posts.published_date between bounds.window_start_date and bounds.window_end_date
{%- endmacro %}

{#-
    best_slot_ranks(relation): the per-slot statistics of `relation` with
    is_small_sample (fewer than `best_min_posts` posts) and the slot's rank on its
    platform by median engagements and by median engagement rate (1 = best), among the
    slots that are not small samples (NULL for the others, and for the rate where the
    platform measures no reach).
-#}
{% macro best_slot_ranks(relation) -%}
    {%- set min_posts = var('best_min_posts', 10) | int -%}
    select
        *,
        posts < {{ min_posts }} as is_small_sample,
        case
            when posts >= {{ min_posts }}
                then rank() over (
                    partition by platform, posts >= {{ min_posts }}
                    order by engagements_median desc
                )
        end as rank_by_engagements,
        case
            when posts_with_rate >= {{ min_posts }}
                then rank() over (
                    partition by platform, posts_with_rate >= {{ min_posts }}
                    order by engagement_rate_median desc
                )
        end as rank_by_engagement_rate
    from {{ relation }}
{%- endmacro %}
