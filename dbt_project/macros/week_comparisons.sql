{#-
    ISO 8601 weeks (Monday to Sunday; week 1 holds 4 January) and the week-over-week
    and year-over-year deltas of the report marts. Dates carry no time zone: a week is
    the week of the date as it is (Europe/Paris publication dates, snapshot and
    reporting days). Documented in models/marts/reports.md, unit-tested on the marts
    that call them (_marts__reports.yml).
-#}

{#- Monday of the ISO week of a date -#}
{% macro iso_week_start(date_expression) -%}
    cast({{ date_expression }} - cast(isodow({{ date_expression }}) - 1 as integer) as date)
{%- endmacro %}

{#- Monday of ISO week 1 of an ISO year: the Monday of the week that holds 4 January -#}
{% macro iso_week_1_start(iso_year_expression) -%}
    (make_date({{ iso_year_expression }}, 1, 4) - cast(isodow(make_date({{ iso_year_expression }}, 1, 4)) - 1 as integer))
{%- endmacro %}

{#-
    Monday of the same ISO week number one ISO year earlier (week 47 of 2025 -> week 47
    of 2024); NULL for week 53 when the previous ISO year has only 52 weeks.
-#}
{% macro same_iso_week_last_year(week_start) -%}
    cast(
        case
            when isoyear(
                {{ iso_week_1_start('isoyear(' ~ week_start ~ ') - 1') }}
                + cast(7 * (week({{ week_start }}) - 1) as integer)
            ) = isoyear({{ week_start }}) - 1
                then {{ iso_week_1_start('isoyear(' ~ week_start ~ ') - 1') }}
                    + cast(7 * (week({{ week_start }}) - 1) as integer)
        end
        as date
    )
{%- endmacro %}

{#- `2025-W07`: ISO year and zero-padded week number of a date -#}
{% macro iso_year_week_label(date_expression) -%}
    (cast(isoyear({{ date_expression }}) as varchar) || '-W' || lpad(cast(week({{ date_expression }}) as varchar), 2, '0'))
{%- endmacro %}

{#- value - base; NULL when either is NULL -#}
{% macro abs_delta(value, base) -%}
    cast({{ value }} - {{ base }} as double)
{%- endmacro %}

{#- (value - base) / base, a ratio (0.25 = +25 %); NULL when either is NULL or base = 0 -#}
{% macro pct_delta(value, base) -%}
    {{ safe_ratio('(' ~ value ~ ' - ' ~ base ~ ')', base) }}
{%- endmacro %}

{#-
    Why a week is not a full week of data ("2025-W45 has data on 4 of 7 days"; 0 of 7
    also when the week only holds posts first read later); NULL when the warehouse
    measured the account on all 7 days.
-#}
{% macro coverage_reason(week_label, days_with_data) -%}
    case
        when {{ days_with_data }} < 7
            then {{ week_label }} || ' has data on ' || cast({{ days_with_data }} as varchar) || ' of 7 days'
    end
{%- endmacro %}

{#-
    The metrics of rpt_weekly_comparison, in output order (docs block weekly_comparison),
    defined once for int_weekly_metrics_filled (values) and the report (lineage).
    kind: `count` is a sum of daily values, 0 in a week with data but no activity where
    the account's platform measures it; `ratio` is computed from the week's sums;
    `level` is the value at the end of the week; `series` is a sum of the account's
    daily series (NULL without one). scope: `all` for every row, `account` for the
    account's total row only (topic = format = '_all'). lineage: the (grain, warehouse
    column) pairs of the seed metric_lineage the metric is computed from.
-#}
{% macro weekly_comparison_metrics() -%}
    {%- set engagement_inputs = [('post', 'reactions'), ('post', 'comments'), ('post', 'shares'), ('post', 'clicks')] -%}
    {{ return([
        {'name': 'posts_published', 'kind': 'count', 'scope': 'all', 'lineage': []},
        {'name': 'views', 'kind': 'count', 'scope': 'all', 'lineage': [('post', 'views')]},
        {'name': 'reach', 'kind': 'count', 'scope': 'all', 'lineage': [('post', 'reach')]},
        {'name': 'reactions', 'kind': 'count', 'scope': 'all', 'lineage': [('post', 'reactions')]},
        {'name': 'comments', 'kind': 'count', 'scope': 'all', 'lineage': [('post', 'comments')]},
        {'name': 'shares', 'kind': 'count', 'scope': 'all', 'lineage': [('post', 'shares')]},
        {'name': 'clicks', 'kind': 'count', 'scope': 'all', 'lineage': [('post', 'clicks')]},
        {'name': 'engagements', 'kind': 'count', 'scope': 'all', 'lineage': engagement_inputs},
        {'name': 'engagement_rate', 'kind': 'ratio', 'scope': 'all', 'lineage': engagement_inputs + [('post', 'reach')]},
        {'name': 'followers', 'kind': 'level', 'scope': 'account', 'lineage': [('account_day', 'followers')]},
        {'name': 'account_views', 'kind': 'series', 'scope': 'account', 'lineage': [('account_day', 'views')]},
    ]) }}
{%- endmacro %}
