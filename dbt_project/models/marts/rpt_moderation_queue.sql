{#-
    The reference instant: var `as_of` (e.g. `--vars '{as_of: "2026-11-19 15:00:00+00"}'`,
    what the hourly veille DAG passes: its data interval end), else the start of this
    dbt invocation (run_started_at, UTC).
-#}
{%- set as_of = var('as_of', none) or run_started_at.isoformat() -%}
{#-
    The queue's horizon: questions asked within var `moderation_queue_days` days before
    as_of. Extraction re-reads a post's comments for a few days only (the daily run's
    lookback, the veille's `veille_post_days`), so an answer given after that is never
    seen: an older question would wait in the queue for ever. Older unanswered
    questions stay in fct_comments (is_answered false) and rpt_response_times_weekly.
-#}
{%- set horizon_days = var('moderation_queue_days') | int -%}

with

comments as (

    select * from {{ ref('fct_comments') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

reference as (

    select cast('{{ as_of }}' as timestamptz) as as_of

),

-- questions by the public, asked by the reference instant and not answered by then
open_questions as (

    select
        comments.*,
        reference.as_of

    from comments
    cross join reference
    where comments.is_question
        and not comments.is_by_account
        and comments.created_at <= reference.as_of
        and comments.created_at > reference.as_of - to_days({{ horizon_days }})
        and (comments.answered_at is null or comments.answered_at > reference.as_of)

),

final as (

    select
        cast(row_number() over (order by open_questions.created_at, open_questions.comment_id) as bigint)
            as queue_rank,
        cast(open_questions.comment_id as varchar) as comment_id,
        cast(open_questions.platform as varchar) as platform,
        cast(open_questions.account_id as varchar) as account_id,
        cast(accounts.account_name as varchar) as account_name,
        cast(open_questions.post_id as varchar) as post_id,
        cast(open_questions.main_topic as varchar) as topic,
        cast(open_questions.topics as varchar) as topics,
        cast(open_questions.message as varchar) as message,
        cast(open_questions.is_abusive as boolean) as is_abusive,
        cast(open_questions.created_at as timestamptz) as created_at,
        cast(open_questions.as_of as timestamptz) as as_of,
        cast(
            epoch(open_questions.as_of) - epoch(open_questions.created_at) as double
        ) / 3600.0 as age_hours,
        cast(coalesce(open_questions.permalink_url, open_questions.post_permalink_url) as varchar)
            as permalink_url,
        open_questions.permalink_url is not null as has_comment_permalink

    from open_questions
    left join accounts
        on open_questions.account_id = accounts.account_id

)

select * from final
