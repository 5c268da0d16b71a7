"""Audit checks that compare rows with other rows: coverage, counters, volumes, deprecations.

A GX suite judges one batch, row by row or as a table. What the gate also needs are
judgements across rows: is every configured account's partition there, did a lifetime
counter go down since the previous snapshot, did a day's volume collapse against the
trailing 28 days, did a metric that was always populated turn NULL for every row. Each
is a SQL frame computed here, scoped to the days the load just wrote, and handed to
its `checks.*` suite like any other batch (quality.AuditTarget with `sql`), so its
failures read, log and land in the `audit` schema like every other failure.

Thresholds (documented in expectations/README.md, "Cross-row checks"):

- a lifetime counter may drop by at most max(COUNTER_DROP_ABS, COUNTER_DROP_REL x the
  previous value) between two snapshots of a post (platforms remove spam likes and
  deleted comments from their counts);
- volume: rows per platform and day of a fact against the median of the same weekday
  in the trailing 28 days (a Monday against the four previous Mondays: publishing
  follows the week, and a Monday after a quiet weekend is not a collapse), judged once
  VOLUME_MIN_SAME_WEEKDAYS of them exist, and only when the gap to that median is
  beyond the noise of a count (VOLUME_NOISE_SIGMAS x sqrt(median) rows: a page that
  posts 4 times a Monday can post 2 without anything being wrong). Judged days: below
  0.5 x fails, below 0.8 x or above 3 x warns (the ratios are in the suite, not here);
- deprecation: a metric NULL in every row of the day that was populated on at least
  half of the trailing 28 days that had rows (and on at least one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from socialpulse.config import AccountsConfig
from socialpulse.landing_schemas import SCHEMAS

BASELINE_DAYS = 28
VOLUME_MIN_SAME_WEEKDAYS = 3
VOLUME_NOISE_SIGMAS = 3
COUNTER_DROP_ABS = 5
COUNTER_DROP_REL = 0.01

# Lifetime counters of a post: each snapshot must not be below the previous one.
POST_COUNTERS = ("views", "reach", "reactions", "comments", "shares", "clicks")
# Metrics watched for a deprecation (populated, then NULL everywhere), per fact.
WATCHED_METRICS = {
    "fct_account_daily": (
        "report_date",
        (
            "followers",
            "follows",
            "unfollows",
            "views",
            "views_paid",
            "views_organic",
            "reach",
            "post_engagements",
            "page_views",
            "posts_published",
        ),
    ),
    "fct_post_snapshots": (
        "snapshot_date",
        ("views", "views_paid", "views_organic", "reach", "reactions", "comments", "shares", "clicks"),
    ),
}
VOLUME_FACTS = {"fct_account_daily": "report_date", "fct_post_snapshots": "snapshot_date"}


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _values(rows: Iterable[tuple[Any, ...]]) -> str:
    return ", ".join("(" + ", ".join(_quote(v) for v in row) + ")" for row in rows)


def loaded_days(loaded: Mapping[str, Any]) -> dict[str, list[str]]:
    """Per platform, the days of daily API extractions the load wrote (or, on a rerun
    with nothing new, the newest ones). Hourly veille files and CSV imports are not
    daily extractions: a CSV of one account does not make the day due for the others."""
    days: dict[str, set[str]] = defaultdict(set)
    for p in loaded.get("partitions") or loaded.get("latest") or []:
        if p.get("hour") is None and p.get("source", "api") == "api":
            days[p["platform"]].add(p["ds"])
    return {platform: sorted(ds) for platform, ds in sorted(days.items())}


def coverage_sql(expected: Iterable[tuple[str, str, str, str]]) -> str:
    """One row per expected (platform, account_key, entity, ds): its daily partitions loaded."""
    return f"""
        with expected (platform, account_key, entity, ds) as (values {_values(expected)})
        select
            expected.platform,
            expected.account_key,
            expected.entity,
            cast(expected.ds as date) as ds,
            count(log.landing_file) as partitions,
            count(log.landing_file) > 0 as present
        from expected
        left join raw._load_log as log
            on log.platform = expected.platform
            and log.account_key = expected.account_key
            and log.entity = expected.entity
            and log.ds = cast(expected.ds as date)
            and log.landing_file not like '%/hour=%'
        group by all
    """


def counter_deltas_sql(scope: Iterable[tuple[str, str]]) -> str:
    """Each lifetime counter of each post snapshot of the scope (platform, day) against
    the post's previous snapshot."""
    counters = ", ".join(POST_COUNTERS)
    return f"""
        with scope (platform, day) as (values {_values(scope)}),
        scoped_posts as (
            select distinct snapshots.post_id
            from marts.fct_post_snapshots as snapshots
            join scope
                on snapshots.platform = scope.platform
                and snapshots.snapshot_date = cast(scope.day as date)
        ),
        history as (
            select post_id, platform, snapshot_date, {counters}
            from marts.fct_post_snapshots
            where post_id in (select post_id from scoped_posts)
        ),
        counters as (
            unpivot history on {counters} into name counter value value
        ),
        deltas as (
            select
                *,
                lag(snapshot_date) over (partition by post_id, counter order by snapshot_date) as previous_date,
                lag(value) over (partition by post_id, counter order by snapshot_date) as previous_value
            from counters
        )
        select
            deltas.post_id,
            deltas.platform,
            deltas.counter,
            deltas.previous_date,
            deltas.snapshot_date,
            previous_value,
            value,
            greatest({COUNTER_DROP_ABS}, ceil({COUNTER_DROP_REL} * previous_value))::bigint as tolerated_drop,
            (previous_value - value
                - greatest({COUNTER_DROP_ABS}, ceil({COUNTER_DROP_REL} * previous_value)))::bigint
                as drop_beyond_tolerance
        from deltas
        join scope
            on deltas.platform = scope.platform
            and deltas.snapshot_date = cast(scope.day as date)
        where previous_value is not null
    """


def volume_sql(scope: Iterable[tuple[str, str]]) -> str:
    """Rows per fact, platform and day of the scope, against the median of the same
    weekday in the trailing 28 days; `volume_ratio` is NULL where the day is not judged."""
    scope = list(scope)
    platforms = ", ".join(_quote(p) for p in sorted({p for p, _ in scope}))
    counts = " union all ".join(
        f"""
        select '{fact}' as mart, platform, {day_column} as day, count(*) as row_count
        from marts.{fact}
        where platform in ({platforms})
            and {day_column} >= (select min(cast(day as date)) from scope) - interval {BASELINE_DAYS} day
            and {day_column} <= (select max(cast(day as date)) from scope)
        group by all
        """
        for fact, day_column in VOLUME_FACTS.items()
    )
    facts = _values((f,) for f in VOLUME_FACTS)
    # A day without any row is a day of 0 rows, not a missing judgement: the scope
    # drives the frame, and the baseline of each scope day is computed on its own.
    return f"""
        with scope (platform, day) as (values {_values(scope)}),
        facts (mart) as (values {facts}),
        counts as ({counts}),
        judged as (
            select
                facts.mart,
                scope.platform,
                cast(scope.day as date) as day,
                coalesce(today.row_count, 0) as row_count,
                baseline.baseline_days,
                baseline.baseline_median,
                round({VOLUME_NOISE_SIGMAS} * sqrt(baseline.baseline_median), 2) as noise_rows
            from scope
            cross join facts
            left join counts as today
                on today.mart = facts.mart
                and today.platform = scope.platform
                and today.day = cast(scope.day as date)
            cross join lateral (
                select count(*) as baseline_days, median(counts.row_count) as baseline_median
                from counts
                where counts.mart = facts.mart
                    and counts.platform = scope.platform
                    and counts.day between cast(scope.day as date) - interval {BASELINE_DAYS} day
                        and cast(scope.day as date) - interval 1 day
                    and dayofweek(counts.day) = dayofweek(cast(scope.day as date))
            ) as baseline
        )
        select
            *,
            case
                when baseline_days >= {VOLUME_MIN_SAME_WEEKDAYS}
                    and abs(row_count - baseline_median) > noise_rows
                then row_count / baseline_median
            end as volume_ratio
        from judged
    """


def metric_population_sql(scope: Iterable[tuple[str, str]]) -> str:
    """Per fact, platform, metric and day of the scope: rows, non-NULL rows, and on how
    many of the trailing 28 days (with rows) the metric was populated."""
    scope = list(scope)
    platforms = ", ".join(_quote(p) for p in sorted({p for p, _ in scope}))
    per_fact = []
    for fact, (day_column, metrics) in WATCHED_METRICS.items():
        listed = ", ".join(metrics)
        per_fact.append(
            f"""
            select '{fact}' as mart, platform, day, metric, count(*) as row_count, count(value) as non_null_rows
            from (
                select platform, {day_column} as day, {listed}
                from marts.{fact}
                where platform in ({platforms})
                    and {day_column} >= (select min(cast(day as date)) from scope) - interval {BASELINE_DAYS} day
                    and {day_column} <= (select max(cast(day as date)) from scope)
            ) unpivot include nulls (value for metric in ({listed}))
            group by all
            """
        )
    return f"""
        with scope (platform, day) as (values {_values(scope)}),
        per_day as ({" union all ".join(per_fact)}),
        judged as (
            select
                *,
                count(*) over baseline as baseline_days,
                count(*) filter (where non_null_rows > 0) over baseline as populated_days
            from per_day
            window baseline as (
                partition by mart, platform, metric order by day
                range between interval {BASELINE_DAYS} day preceding and interval 1 day preceding
            )
        )
        select
            judged.mart,
            judged.platform,
            judged.metric,
            judged.day,
            row_count,
            non_null_rows,
            baseline_days,
            populated_days,
            row_count > 0 and non_null_rows = 0
                and populated_days > 0 and populated_days * 2 >= baseline_days as went_null
        from judged
        join scope
            on judged.platform = scope.platform
            and judged.day = cast(scope.day as date)
    """


def _label(days_by_platform: Mapping[str, list[str]]) -> str:
    return " ".join(f"{p} ds={','.join(days)}" for p, days in days_by_platform.items())


def check_targets(loaded: Mapping[str, Any], config: AccountsConfig) -> dict[str, list[dict]]:
    """The cross-row audit targets of a build: coverage before dbt, the others after."""
    days = loaded_days(loaded)
    if not days:
        return {"raw": [], "marts": []}
    as_of = max(d for ds in days.values() for d in ds)
    label = _label(days)
    expected = [
        (platform, account.key, entity, ds)
        for platform, platform_days in days.items()
        for account in config.for_platform(platform)
        for (schema_platform, entity) in sorted(SCHEMAS)
        if schema_platform == platform
        for ds in platform_days
    ]
    scope = [(platform, ds) for platform, platform_days in days.items() for ds in platform_days]

    def target(name: str, sql: str) -> dict:
        return {
            "table": f"checks.{name}",
            "suite": f"checks.{name}",
            "where": None,
            "partition_label": label,
            "as_of": as_of,
            "sql": " ".join(sql.split()),
        }

    raw = [target("account_day_coverage", coverage_sql(expected))] if expected else []
    marts = [
        target("post_counter_deltas", counter_deltas_sql(scope)),
        target("mart_volume", volume_sql(scope)),
        target("metric_population", metric_population_sql(scope)),
    ]
    return {"raw": raw, "marts": marts}
