"""Builders of valid rows for the marts beyond the first four (gx_builders.py has those).

Each builder returns rows that pass the mart's suite, so a test corrupts exactly one
thing; tables get the mart's dbt contract types (read from the contract YAML by
scripts/gx_mart_contracts.py, as the suites' structure is). The rows are small but
realistic: a Facebook account, two posts, the audited day DS and the days around it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
from gx_builders import CONTEXT_ROOT, DS, ts

from scripts.gx_mart_contracts import mart_contracts
from socialpulse.quality import AuditReport, run_audit

# Expectation types the mart tests name, once.
BETWEEN = "expect_column_values_to_be_between"
EQUAL = "expect_column_pair_values_to_be_equal"
IN_SET = "expect_column_values_to_be_in_set"
NULL = "expect_column_values_to_be_null"
PAIR = "expect_column_pair_values_a_to_be_greater_than_b"
REGEX = "expect_column_values_to_match_regex"


CONTRACTS = mart_contracts()
ACCOUNT = "facebook:112233445566001"
POSTS = [f"{ACCOUNT}_{n}" for n in (1, 2)]
MONDAY = DS - timedelta(days=DS.weekday())  # DS is a Thursday: its ISO week starts 2026-11-16
FACTORS_VERSION = "60d67d25afffc5c699aaaf779d972d3c"
SPIKE_ID = "e35d9e9a16158fb8ace687af63f84814"
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip


def _same_week_last_year(day: date) -> date | None:
    year, week, _ = day.isocalendar()
    try:
        return date.fromisocalendar(year - 1, week, 1)
    except ValueError:  # week 53 of a year whose previous year has 52
        return None


def _dim_dates() -> list[dict]:
    rows = []
    for n in range(-10, 11):
        day = DS + timedelta(days=n)
        year, week, weekday = day.isocalendar()
        holiday = "Armistice 1918" if (day.month, day.day) == (11, 11) else None
        rows.append(
            {
                "calendar_date": day,
                "iso_year": year,
                "iso_week": week,
                "iso_year_week": f"{year}-W{week:02d}",
                "iso_week_start_date": day - timedelta(days=weekday - 1),
                "previous_year_iso_week_start_date": _same_week_last_year(day),
                "iso_day_of_week": weekday,
                "weekday_name_fr": WEEKDAYS[weekday - 1],
                "is_weekend": weekday >= 6,
                "calendar_year": day.year,
                "month_of_year": day.month,
                "month_name_fr": MONTHS[day.month - 1],
                "month_start_date": day.replace(day=1),
                "day_of_month": day.day,
                "is_public_holiday": holiday is not None,
                "public_holiday_name": holiday,
            }
        )
    return rows


def _dim_platforms() -> list[dict]:
    flags = {  # has_daily_series, has_views, has_paid_split, has_reach, has_clicks
        "facebook": ("Facebook", True, True, True, True, True),
        "instagram": ("Instagram", True, True, False, True, False),
        "linkedin": ("LinkedIn", True, False, False, True, True),
        "x": ("X", False, True, True, False, True),
        "bluesky": ("Bluesky", False, False, False, False, False),
        "mastodon": ("Mastodon", False, False, False, False, False),
    }
    names = ("platform_name", "has_daily_series", "has_views", "has_paid_split", "has_reach", "has_clicks")
    return [{"platform": p, **dict(zip(names, v, strict=True)), "notes": f"{v[0]}."} for p, v in flags.items()]


def _dim_topics() -> list[dict]:
    return [
        {"topic": "transports", "topic_label": "Transports", "keywords": "TER|train|gare", "is_fallback": False},
        {"topic": "culture", "topic_label": "Culture", "keywords": "musée|concert", "is_fallback": False},
        {"topic": "autre", "topic_label": "Autre", "keywords": None, "is_fallback": True},
    ]


def _bdg_post_topics() -> list[dict]:
    return [
        {"post_id": POSTS[0], "topic": "transports", "topic_weight": 0.5},
        {"post_id": POSTS[0], "topic": "culture", "topic_weight": 0.5},
        {"post_id": POSTS[1], "topic": "autre", "topic_weight": 1.0},
    ]


def _snapshot(post: str, day: date, scale: int, paid: int) -> dict:
    views, reach, reactions, comments, shares, clicks = 1000 * scale, 700 * scale, 40 * scale, 5, 3, 12
    engagements = reactions + comments + shares + clicks
    followers = 12000
    return {
        "post_id": post,
        "account_id": ACCOUNT,
        "platform": "facebook",
        "snapshot_date": day,
        "views": views,
        "views_paid": paid,
        "views_organic": views - paid,
        "reach": reach,
        "reactions": reactions,
        "comments": comments,
        "shares": shares,
        "clicks": clicks,
        "engagements": engagements,
        "engagement_rate": engagements / reach,
        "is_paid": paid > 0,
        "account_followers": followers,
        "engagement_rate_by_views": engagements / views,
        "engagement_rate_by_followers": engagements / followers,
        "amplification_rate": shares / followers,
        "conversation_rate": comments / followers,
        "share_of_paid_views": paid / views,
    }


def _fct_post_snapshots() -> list[dict]:
    return [
        _snapshot(POSTS[0], DS - timedelta(days=1), 1, 100),
        _snapshot(POSTS[0], DS, 2, 300),
        _snapshot(POSTS[1], DS, 1, 0),
    ]


def _fct_post_daily() -> list[dict]:
    def row(post, activity, snapshot, previous, views, reactions):
        return {
            "post_id": post,
            "account_id": ACCOUNT,
            "platform": "facebook",
            "activity_date": activity,
            "snapshot_date": snapshot,
            "previous_snapshot_date": previous,
            "is_first_snapshot": previous is None,
            "views": views,
            "views_paid": 0,
            "views_organic": views,
            "reach": views // 2,
            "reactions": reactions,
            "comments": 1,
            "shares": 0,
            "clicks": None,
            "engagements": reactions + 1,
        }

    return [
        # first snapshot, counted on its (earlier) Paris publication day
        row(POSTS[0], DS - timedelta(days=2), DS - timedelta(days=1), None, 1000, 40),
        # a later one: a withdrawn reaction is a negative increment, kept
        row(POSTS[0], DS, DS, DS - timedelta(days=1), 1000, -2),
        row(POSTS[1], DS, DS, None, 500, 7),
    ]


def _fct_topic_engagement_daily() -> list[dict]:
    def row(topic, day, published, weighted, measured, engagements):
        return {
            "topic": topic,
            "account_id": ACCOUNT,
            "platform": "facebook",
            "activity_date": day,
            "posts_published": published,
            "posts_published_weighted": weighted,
            "posts_measured": measured,
            "views": 1000,
            "reach": 500,
            "reactions": engagements - 1,
            "comments": 1,
            "shares": 0,
            "clicks": None,
            "engagements": engagements,
            "engagements_weighted": engagements * weighted,
        }

    return [
        row("transports", DS - timedelta(days=2), 1, 0.5, 1, 41),
        row("transports", DS, 0, 0.0, 1, -1),  # sums of increments may be negative
        row("autre", DS + timedelta(days=1), 1, 1.0, 0, 8),  # published on the next Paris day
    ]


def _rpt_weekly_comparison() -> list[dict]:
    last_year = _same_week_last_year(MONDAY)
    iso_year, iso_week, _ = MONDAY.isocalendar()

    def row(topic, metric, value, previous, days, fair_previous):
        reason = None if fair_previous else "2026-W47 has data on 4 of 7 days"
        return {
            "iso_year": iso_year,
            "iso_week": iso_week,
            "week_start": MONDAY,
            "account_id": ACCOUNT,
            "platform": "facebook",
            "topic": topic,
            "format": "_all",
            "metric": metric,
            "value": value,
            "days_with_data": days,
            "previous_week_value": previous,
            "previous_week_abs_delta": value - previous,
            "previous_week_pct_delta": (value - previous) / previous if previous else None,
            "previous_week_days_with_data": 7,
            "is_comparison_unfair_previous_week": not fair_previous,
            "unfair_reason_previous_week": reason,
            "last_year_week_start": last_year,
            "last_year_value": None,
            "last_year_abs_delta": None,
            "last_year_pct_delta": None,
            "last_year_days_with_data": 0,
            "is_comparison_unfair_last_year": True,
            "unfair_reason_last_year": "2025-W47 has data on 0 of 7 days",
        }

    return [
        row("_all", "posts_published", 3.0, 2.0, 7, True),
        row("_all", "followers", 12000.0, 11990.0, 7, True),
        row("transports", "posts_published", 0.0, 2.0, 4, False),  # -100 %: the most a count can fall
        row("transports", "reactions", -3.0, 5.0, 4, False),  # withdrawn reactions: a negative week
    ]


def _rpt_top_posts_weekly() -> list[dict]:
    iso_year, iso_week, _ = MONDAY.isocalendar()

    def row(ranking, rank, platform_rank, post, engagements, reach):
        return {
            "iso_year": iso_year,
            "iso_week": iso_week,
            "week_start": MONDAY,
            "account_id": ACCOUNT,
            "platform": "facebook",
            "ranking": ranking,
            "rank": rank,
            "platform_rank": platform_rank,
            "post_id": post,
            "published_at": ts(DS, 22, 30),
            "published_date": DS + timedelta(days=1),  # Paris is ahead
            "format": "photo",
            "topics": "culture, transports",
            "permalink_url": None,
            "message_excerpt": "Le TER…",
            "snapshot_date": DS,
            "views": 2000,
            "reach": reach,
            "engagements": engagements,
            "engagement_rate": engagements / reach,
            "is_paid": False,
        }

    return [
        row("engagements", 1, 1, POSTS[0], 80, 1400),
        row("engagements", 2, 4, POSTS[1], 60, 700),
        row("engagement_rate", 1, 2, POSTS[1], 60, 700),
        row("engagement_rate", 2, 3, POSTS[0], 80, 1400),
    ]


def _best_slots(key: str, values: list) -> list[dict]:
    rows = []
    for n, value in enumerate(values):
        small = n == len(values) - 1
        rows.append(
            {
                "platform": "facebook",
                key: value,
                "window_start_date": DS - timedelta(days=92),
                "window_end_date": DS - timedelta(days=3),
                "posts": 4 if small else 12,
                "posts_with_rate": 4 if small else 11,
                "engagements_median": 50.0 + n,
                "engagements_mean": 61.5,
                "engagement_rate_median": 0.05,
                "engagement_rate_mean": 0.061,
                "is_small_sample": small,
                "rank_by_engagements": None if small else len(values) - 1 - n,
                "rank_by_engagement_rate": None if small else 1,
            }
        )
    return rows


def _fct_audience_daily() -> list[dict]:
    rows = []
    for audience in ("followers", "reach"):
        for bucket, gender, count in (("18-24", "female", 300), ("25-34", "male", 700), ("13-17", "unknown", None)):
            rows.append(
                {
                    "account_id": "instagram:17841400000110001",
                    "platform": "instagram",
                    "snapshot_date": DS,
                    "audience": audience,
                    "age_bucket": bucket,
                    "gender": gender,
                    "is_youth": bucket in ("13-17", "18-24"),
                    "audience_count": count,
                    "is_withheld": count is None,
                    "audience_share": None if count is None else count / 1000,
                }
            )
    return rows


def _rpt_youth_audience_monthly() -> list[dict]:
    return [
        {
            "account_id": "instagram:17841400000110001",
            "platform": "instagram",
            "month_start_date": DS.replace(day=1),
            "audience": audience,
            "snapshot_date": DS,
            "youth_count": 300,
            "served_count": 1000,
            "youth_share": 0.3,
            "has_withheld_buckets": True,
        }
        for audience in ("followers", "reach")
    ]


def _carbon(views: int | None, seconds: tuple[float, float, float]) -> dict:
    feed, grid = (0.3, 0.5, 0.9), (0.8, 1.0, 1.2)
    gco2e = [None if views is None else views * s / 60 * f * g for s, f, g in zip(seconds, feed, grid, strict=True)]
    return {
        "seconds_viewed_low": seconds[0],
        "seconds_viewed_central": seconds[1],
        "seconds_viewed_high": seconds[2],
        "gco2e_low": gco2e[0],
        "gco2e_central": gco2e[1],
        "gco2e_high": gco2e[2],
        "feed_factor_id": "feed_gco2e_per_minute:facebook:all",
        "grid_factor_id": "grid_adjustment:all:all",
        "is_proxy_factor": False,
        "null_reason": None if views is not None else "no_views_read",
        "factors_version": FACTORS_VERSION,
    }


def _fct_carbon_daily() -> list[dict]:
    def row(account, day, views, post_views, from_posts):
        return {
            "account_id": account,
            "platform": account.split(":")[0],
            "report_date": day,
            "views": views,
            "is_from_post_views": from_posts,
            "post_views": post_views,
            "is_organic_only": False,
            **_carbon(views, (1.7, 3.0, 7.43)),
            "view_time_factor_ids": "seconds_viewed_per_view:all:photo,seconds_viewed_per_view:all:reel",
        }

    return [
        row(ACCOUNT, DS - timedelta(days=1), 5000, 3000, False),
        row(ACCOUNT, DS, 0, None, False),  # 0 views: 0 gCO2e, not NULL
        row("x:2244994945", DS, 1800, 1800, True),  # X: the posts' new views
    ]


def _fct_carbon_post_daily() -> list[dict]:
    def row(post, day, previous, lifetime, views, days):
        return {
            "post_id": post,
            "account_id": ACCOUNT,
            "platform": "facebook",
            "format": "photo",
            "snapshot_date": day,
            "previous_snapshot_date": previous,
            "days_covered": days,
            "lifetime_views": lifetime,
            "views": views,
            "is_organic_only": False,
            **_carbon(views, (1.7, 3.0, 7.43)),
            "view_time_factor_id": "seconds_viewed_per_view:all:photo",
        }

    return [
        row(POSTS[0], DS - timedelta(days=1), None, 1000, 1000, 2),
        row(POSTS[0], DS, DS - timedelta(days=1), 990, 0, 1),  # a corrected count: 0 new views
        row(POSTS[1], DS, None, None, None, None),  # insights missing that day
    ]


def _comment(n: int, **over) -> dict:
    created = ts(DS, 9, n)
    return {
        "comment_id": f"facebook:{POSTS[0].split(':')[1]}_{n}",
        "platform_comment_id": f"{POSTS[0].split(':')[1]}_{n}",
        "post_id": POSTS[0],
        "account_id": ACCOUNT,
        "platform": "facebook",
        "parent_comment_id": None,
        "author_pseudonym": f"{n:032x}",
        "is_by_account": False,
        "message": "Le TER de 7h12 circule-t-il ?",
        "created_at": created,
        "created_date": DS,
        "like_count": 2,
        "is_question": True,
        "topics": "transports",
        "main_topic": "transports",
        "is_abusive": False,
        "abuse_categories": None,
        "answered_at": None,
        "response_delay_hours": None,
        "is_answered": False,
        "permalink_url": None,
        "post_permalink_url": "https://facebook.example/1",
        "loaded_at": ts(DS + timedelta(days=1), 2, 0),
        "labelled_at": ts(DS + timedelta(days=1), 2, 5),
        **over,
    }


def _fct_comments() -> list[dict]:
    answered_at = ts(DS, 10, 30)
    return [
        _comment(1, answered_at=answered_at, response_delay_hours=(10.5 - 9 - 1 / 60), is_answered=True),
        _comment(
            2,
            parent_comment_id="facebook:112233445566001_1_1",
            author_pseudonym=None,
            is_by_account=True,
            message="Oui, il circule.",
            created_at=answered_at,
            is_question=False,
        ),
        _comment(3, message="Bande d'incapables, où est mon train ?", is_abusive=True, abuse_categories="insulte"),
        _comment(4, message=None, topics="culture|transports", like_count=None),  # past the retention
    ]


def _bdg_comment_topics() -> list[dict]:
    labelled = ts(DS + timedelta(days=1), 2, 5)  # fct_comments.labelled_at of the same build
    rows = [
        ("facebook:112233445566001_1_1", "transports", 1.0),
        ("facebook:112233445566001_1_4", "culture", 0.5),
        ("facebook:112233445566001_1_4", "transports", 0.5),
    ]
    return [
        {"comment_id": comment_id, "topic": topic, "topic_weight": weight, "labelled_at": labelled}
        for comment_id, topic, weight in rows
    ]


def _rpt_moderation_queue() -> list[dict]:
    as_of = ts(DS + timedelta(days=1))
    rows = []
    for rank, n in enumerate((3, 5), start=1):
        created = ts(DS, 9, n)
        rows.append(
            {
                "queue_rank": rank,
                "comment_id": f"facebook:112233445566001_1_{n}",
                "platform": "facebook",
                "account_id": ACCOUNT,
                "account_name": "Région",
                "post_id": POSTS[0],
                "topic": "transports",
                "topics": "culture|transports",
                "message": "Où est mon train ?",
                "is_abusive": n == 3,
                "created_at": created,
                "as_of": as_of,
                "age_hours": (as_of - created).total_seconds() / 3600,
                "permalink_url": "https://facebook.example/1",
                "has_comment_permalink": False,
            }
        )
    return rows


def _rpt_response_times_weekly() -> list[dict]:
    iso_year, iso_week, _ = MONDAY.isocalendar()

    def row(week_start, questions, answered, median, p90):
        return {
            "account_id": ACCOUNT,
            "platform": "facebook",
            "iso_week_start_date": week_start,
            "iso_year": iso_year,
            "iso_week": iso_week if week_start == MONDAY else iso_week - 1,
            "questions": questions,
            "answered": answered,
            "answer_rate": answered / questions,
            "median_delay_hours": median,
            "p90_delay_hours": p90,
        }

    return [row(MONDAY, 4, 3, 1.5, 6.25), row(MONDAY - timedelta(days=7), 2, 0, None, None)]


def _rpt_topic_trends() -> list[dict]:
    def row(granularity, start, end, local_hour, dimension, value, comments, **over):
        base = {
            "granularity": granularity,
            "bucket_start": start,
            "bucket_end": end,
            "bucket_start_local": (start.tz_convert("Europe/Paris")).tz_localize(None),
            "local_date": start.tz_convert("Europe/Paris").date(),
            "local_weekday": start.tz_convert("Europe/Paris").isoweekday(),
            "local_hour": local_hour,
            "dimension": dimension,
            "value": value,
            "topic": "transports",
            "comment_count": comments,
            "commenter_count": comments,
            "post_count": min(comments, 1),
            "platform_count": min(comments, 1),
            "comment_like_count": 2 if comments else 0,
            "engagement_count": comments + (2 if comments else 0),
            "first_comment_at": start + pd.Timedelta(minutes=5) if comments else None,
            "baseline_median": 1.0,
            "baseline_mad": 0.5,
            "baseline_scale": 1.0,
            "robust_z": comments - 1.0,
            "is_baseline_complete": True,
            "is_spike": False,
            "is_elevated": False,
            "spike_id": None,
        }
        return {**base, **over}

    hour, day = ts(DS, 5), ts(DS - timedelta(days=1), 23)
    spike = {"is_spike": True, "is_elevated": True, "spike_id": SPIKE_ID}
    return [
        row("hour", hour, hour + pd.Timedelta(hours=1), 6, "topic", "transports", 25, **spike),
        row("hour", hour, hour + pd.Timedelta(hours=1), 6, "topic", "culture", 0, topic="culture"),
        row("hour", hour, hour + pd.Timedelta(hours=1), 6, "hashtag", "#greveter", 21),
        row("day", day, day + pd.Timedelta(hours=24), None, "topic", "transports", 60),
    ]


def _rpt_topic_spikes() -> list[dict]:
    started = ts(DS, 5)
    return [
        {
            "spike_id": SPIKE_ID,
            "granularity": "hour",
            "dimension": "topic",
            "value": "transports",
            "topic": "transports",
            "started_at": started,
            "started_at_local": started.tz_convert("Europe/Paris").tz_localize(None),
            "ended_at": started + pd.Timedelta(hours=3),
            "spike_bucket_count": 3,
            "first_seen_at": started + pd.Timedelta(minutes=5),
            "comment_count": 25,
            "baseline_median": 1.0,
            "baseline_scale": 1.0,
            "robust_z": 24.0,
            "peak_at": started + pd.Timedelta(hours=1),
            "peak_comment_count": 40,
            "peak_z": 39.0,
            "total_comment_count": 80,
            "is_ongoing": True,
        }
    ]


MART_ROWS: dict[str, Callable[[], list[dict]]] = {
    "dim_dates": _dim_dates,
    "dim_platforms": _dim_platforms,
    "dim_topics": _dim_topics,
    "bdg_post_topics": _bdg_post_topics,
    "fct_post_snapshots": _fct_post_snapshots,
    "fct_post_daily": _fct_post_daily,
    "fct_topic_engagement_daily": _fct_topic_engagement_daily,
    "rpt_weekly_comparison": _rpt_weekly_comparison,
    "rpt_top_posts_weekly": _rpt_top_posts_weekly,
    "rpt_best_format": lambda: _best_slots("format", ["photo", "reel", "text"]),
    "rpt_best_hour": lambda: _best_slots("hour_of_day", [9, 12, 18]),
    "fct_audience_daily": _fct_audience_daily,
    "rpt_youth_audience_monthly": _rpt_youth_audience_monthly,
    "fct_carbon_daily": _fct_carbon_daily,
    "fct_carbon_post_daily": _fct_carbon_post_daily,
    "fct_comments": _fct_comments,
    "bdg_comment_topics": _bdg_comment_topics,
    "rpt_moderation_queue": _rpt_moderation_queue,
    "rpt_response_times_weekly": _rpt_response_times_weekly,
    "rpt_topic_trends": _rpt_topic_trends,
    "rpt_topic_spikes": _rpt_topic_spikes,
}


def mart_frame(model: str) -> pd.DataFrame:
    return pd.DataFrame(MART_ROWS[model](), columns=list(CONTRACTS[model]))


def write_mart(db_path: Path, model: str, frame: pd.DataFrame) -> Path:
    """Create `marts.<model>` with its contract types, then insert the frame (by name)."""
    with duckdb.connect(str(db_path)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema if not exists marts")
        columns = ", ".join(f"{c} {t}" for c, t in CONTRACTS[model].items() if c in frame.columns)
        con.execute(f"create or replace table marts.{model} ({columns})")
        con.register("incoming", frame)
        con.execute(f"insert into marts.{model} by name select * from incoming")
        con.unregister("incoming")
    return db_path


def damaged(model: str, row: int, changes: dict) -> pd.DataFrame:
    """The valid frame of `model` with some values of one row replaced (a timestamp
    column stays a UTC datetime column; another column becomes object to take any value)."""
    frame = mart_frame(model)
    for column, value in changes.items():
        if isinstance(value, pd.Timestamp) and value.tzinfo is not None:
            frame[column] = frame[column].astype("datetime64[us, UTC]")
        else:
            frame[column] = frame[column].astype(object)
        frame.at[row, column] = value
    return frame


def audit(tmp_path: Path, model: str, frame: pd.DataFrame) -> AuditReport:
    from gx_builders import mart_target

    db = write_mart(tmp_path / f"{model}.duckdb", model, frame)
    return run_audit(CONTEXT_ROOT, db, [mart_target(model)])


def assert_damage_fails(tmp_path: Path, model: str, row: int, changes: dict, expectation: str, column: str) -> str:
    """Corrupt one row of a valid mart: its suite fails with `expectation` on `column`."""
    line = failing_line(audit(tmp_path, model, damaged(model, row, changes)), model, expectation, column)
    assert "unexpected" in line or "observed" in line, line
    return line


def failing_line(report: AuditReport, model: str, expectation: str, column: str) -> str:
    """The failure line of `expectation` on `column` (named in its kwargs) in the report."""
    assert not report.success, f"marts.{model} passed, expected {expectation} on {column} to fail"
    message = report.failure_message()
    line = next((x for x in message.splitlines() if expectation in x and repr(column) in x), None)
    assert line, f"{expectation} on {column} did not fail:\n{message}"
    assert f"suite marts.{model} [as of {DS.isoformat()}]" in line
    return line
