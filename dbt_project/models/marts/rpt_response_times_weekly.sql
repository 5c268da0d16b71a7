with

comments as (

    select * from {{ ref('fct_comments') }}

),

-- the public's questions, in the Paris ISO week they were asked
questions as (

    select
        account_id,
        platform,
        -- Monday of the ISO week of the Paris calendar date
        cast(created_date - cast(isodow(created_date) - 1 as integer) as date) as iso_week_start_date,
        is_answered,
        response_delay_hours

    from comments
    where is_question
        and not is_by_account

),

aggregated as (

    select
        account_id,
        platform,
        iso_week_start_date,
        count(*) as questions,
        count(*) filter (where is_answered) as answered,
        median(response_delay_hours) as median_delay_hours,
        quantile_cont(response_delay_hours, 0.9) as p90_delay_hours

    from questions
    group by
        account_id,
        platform,
        iso_week_start_date

),

final as (

    select
        cast(account_id as varchar) as account_id,
        cast(platform as varchar) as platform,
        cast(iso_week_start_date as date) as iso_week_start_date,
        cast(isoyear(iso_week_start_date) as integer) as iso_year,
        cast(week(iso_week_start_date) as integer) as iso_week,
        cast(questions as bigint) as questions,
        cast(answered as bigint) as answered,
        {{ safe_ratio('answered', 'questions') }} as answer_rate,
        cast(median_delay_hours as double) as median_delay_hours,
        cast(p90_delay_hours as double) as p90_delay_hours

    from aggregated

)

select * from final
