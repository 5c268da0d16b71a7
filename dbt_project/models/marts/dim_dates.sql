{%- set weekday_names_fr = ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'] -%}
{%- set month_names_fr = [
    'janvier', 'février', 'mars', 'avril', 'mai', 'juin',
    'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre',
] -%}
{#- France's public holidays on a fixed day: (month, day, name) -#}
{%- set fixed_holidays = [
    (1, 1, "Jour de l'an"),
    (5, 1, 'Fête du Travail'),
    (5, 8, 'Victoire 1945'),
    (7, 14, 'Fête nationale'),
    (8, 15, 'Assomption'),
    (11, 1, 'Toussaint'),
    (11, 11, 'Armistice 1918'),
    (12, 25, 'Noël'),
] -%}
{#- ... and the ones that follow Easter Sunday: (days after it, name) -#}
{%- set easter_holidays = [
    (1, 'Lundi de Pâques'),
    (39, 'Ascension'),
    (50, 'Lundi de Pentecôte'),
] -%}

with

post_dates as (

    select published_date as calendar_date from {{ ref('dim_posts') }}

),

report_dates as (

    select report_date as calendar_date from {{ ref('fct_account_daily') }}

),

snapshot_dates as (

    select snapshot_date as calendar_date from {{ ref('fct_post_snapshots') }}

),

data_dates as (

    select * from post_dates
    union all
    select * from report_dates
    union all
    select * from snapshot_dates

),

-- from a fixed start (or the first date of the data, if earlier) to one year after
-- the last date of the data: deterministic for a given warehouse
bounds as (

    select
        least(
            cast('{{ var("calendar_start_date", "2023-01-01") }}' as date),
            min(calendar_date)
        ) as first_date,
        cast(
            coalesce(max(calendar_date), cast('{{ var("calendar_start_date", "2023-01-01") }}' as date))
            + to_days({{ var("calendar_future_days", 366) }})
            as date
        ) as last_date
    from data_dates

),

spine as (

    select cast(days.calendar_day as date) as calendar_date
    from bounds,
        generate_series(bounds.first_date, bounds.last_date, interval 1 day) as days (calendar_day)

),

calendar as (

    select
        calendar_date,
        cast(isoyear(calendar_date) as integer) as iso_year,
        cast(week(calendar_date) as integer) as iso_week,
        cast(isodow(calendar_date) as integer) as iso_day_of_week,
        cast(year(calendar_date) as integer) as calendar_year,
        cast(month(calendar_date) as integer) as month_of_year,
        cast(day(calendar_date) as integer) as day_of_month
    from spine

),

-- Easter Sunday of every calendar year: the anonymous Gregorian algorithm (Meeus/Jones/
-- Butcher), with its published variable names; integer division `//`
easter_steps as (

    select
        calendar_year,
        calendar_year % 19 as a,
        calendar_year // 100 as b,
        calendar_year % 100 as c
    from (select distinct calendar_year from calendar) as years

),

easter_moon as (

    select
        calendar_year,
        a,
        c,
        b % 4 as e,
        (19 * a + b - b // 4 - (b - (b + 8) // 25 + 1) // 3 + 15) % 30 as h
    from easter_steps

),

easter_sundays as (

    select
        calendar_year,
        h,
        a,
        (32 + 2 * e + 2 * (c // 4) - h - c % 4) % 7 as l
    from easter_moon

),

easter as (

    select
        calendar_year,
        make_date(
            calendar_year,
            (h + l - 7 * ((a + 11 * h + 22 * l) // 451) + 114) // 31,
            (h + l - 7 * ((a + 11 * h + 22 * l) // 451) + 114) % 31 + 1
        ) as easter_sunday
    from easter_sundays

),

-- every holiday of every year of the calendar (`easter` has one row per year)
holiday_days as (

    {%- for month, day, name in fixed_holidays %}
    select
        make_date(calendar_year, {{ month }}, {{ day }}) as holiday_date,
        '{{ name | replace("'", "''") }}' as holiday_name
    from easter
    union all
    {%- endfor %}
    {%- for days_after, name in easter_holidays %}
    select
        cast(easter_sunday + {{ days_after }} as date) as holiday_date,
        '{{ name }}' as holiday_name
    from easter
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

-- Ascension can fall on 1 or 8 May: one row per date, both names
public_holidays as (

    select
        holiday_date,
        string_agg(holiday_name, ' / ' order by holiday_name) as holiday_name
    from holiday_days
    group by holiday_date

),

final as (

    select
        cast(calendar.calendar_date as date) as calendar_date,
        cast(calendar.iso_year as integer) as iso_year,
        cast(calendar.iso_week as integer) as iso_week,
        -- ISO weeks as the report marts compute them (macros/week_comparisons.sql)
        cast({{ iso_year_week_label('calendar.calendar_date') }} as varchar) as iso_year_week,
        cast({{ iso_week_start('calendar.calendar_date') }} as date) as iso_week_start_date,
        cast(
            {{ same_iso_week_last_year('calendar.calendar_date') }} as date
        ) as previous_year_iso_week_start_date,
        cast(calendar.iso_day_of_week as integer) as iso_day_of_week,
        cast(
            case calendar.iso_day_of_week
                {%- for name in weekday_names_fr %}
                when {{ loop.index }} then '{{ name }}'
                {%- endfor %}
            end
            as varchar
        ) as weekday_name_fr,
        cast(calendar.iso_day_of_week >= 6 as boolean) as is_weekend,
        cast(calendar.calendar_year as integer) as calendar_year,
        cast(calendar.month_of_year as integer) as month_of_year,
        cast(
            case calendar.month_of_year
                {%- for name in month_names_fr %}
                when {{ loop.index }} then '{{ name }}'
                {%- endfor %}
            end
            as varchar
        ) as month_name_fr,
        cast(make_date(calendar.calendar_year, calendar.month_of_year, 1) as date) as month_start_date,
        cast(calendar.day_of_month as integer) as day_of_month,
        cast(public_holidays.holiday_date is not null as boolean) as is_public_holiday,
        cast(public_holidays.holiday_name as varchar) as public_holiday_name

    from calendar
    left join public_holidays
        on calendar.calendar_date = public_holidays.holiday_date

)

select * from final
