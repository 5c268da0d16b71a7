"""Engagement quality, paid vs organic, dim_dates and dim_platforms against the sandbox's truth.

sandbox (private, in-thread, "today" = the day after each run) -> two daily extract runs
(RUN_DS - 1 and RUN_DS, 3-day window) of one account per platform, chosen to include
sponsored posts -> landing -> raw -> `dbt build` of the marts and everything they read
-> every rate of macros/engagement.sql recomputed here, in Python, from `sandbox.truth`,
and NULL exactly where the platform lacks an input.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dateutil.easter import easter

from sandbox.server import serve_in_thread
from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.connectors.client import RetryPolicy
from socialpulse.extract import extract_account
from socialpulse.load import load_landing
from socialpulse.settings import REPO_ROOT, Settings
from tests.conftest import RUN_DS
from tests.integration._dbt_harness import rows
from tests.integration._incremental_harness import ACCOUNTS

pytestmark = pytest.mark.integration

DBT = str(Path(sys.executable).parent / "dbt")
SEED = 42
RUN_DAYS = (RUN_DS - timedelta(days=1), RUN_DS)
WINDOW_DAYS = 3
FIRST_DAY = RUN_DAYS[0] - timedelta(days=WINDOW_DAYS - 1)
MARTS = ("+fct_post_engagement", "+fct_account_daily", "+dim_dates", "+dim_platforms")
CONFIG = REPO_ROOT / "config" / "accounts.yml"
FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)

# What each platform does not serve (dbt docs, "One vocabulary"): NULL, never 0
POST_LACKS = {
    "facebook": set(),
    "instagram": {"views_paid", "clicks"},
    "linkedin": {"views", "views_paid"},
    "x": {"reach"},
    "bluesky": {"views", "views_paid", "reach", "clicks"},
    "mastodon": {"views", "views_paid", "reach", "clicks"},
}
DAILY_LACKS = {
    "facebook": set(),
    "instagram": {"views_paid"},
    "linkedin": {"views", "views_paid"},
    **dict.fromkeys(("x", "bluesky", "mastodon"), {"views", "views_paid", "reach", "post_engagements"}),
}
# followers read from a profile snapshot: known on extraction days only
SNAPSHOT_FOLLOWERS = {"instagram", "x", "bluesky", "mastodon"}
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def dbt_build(settings: Settings, target: Path, *extra: str) -> subprocess.CompletedProcess:
    """`dbt build` of the marts and all they read (tests whose parents are all selected)."""
    return subprocess.run(
        [DBT, "build", "--select", *MARTS, "--indirect-selection", "cautious", *extra]
        + ["--project-dir", "dbt_project", "--profiles-dir", "dbt_project", "--target-path", str(target)],
        cwd=REPO_ROOT,
        env={**os.environ, **settings.dbt_env()},
        capture_output=True,
        text=True,
    )


def selected_accounts(cfg) -> dict[str, object]:
    """The extracted accounts by warehouse account_id."""
    chosen = {}
    for platform, key in ACCOUNTS.items():
        (account,) = [a for a in cfg.for_platform(platform) if a.key == key]
        chosen[f"{platform}:{account.account_id}"] = account
    return chosen


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    home = tmp_path_factory.mktemp("engagement") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOCIALPULSE_HOME", str(home))
        mp.delenv("SOCIALPULSE_BUILD_DB", raising=False)
        mp.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
        for platform in ACCOUNTS:
            mp.setenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", "sandbox-token")
        for ds in RUN_DAYS:
            handle = serve_in_thread(port=0, seed=SEED, today=ds + timedelta(days=1), quiet=True)
            try:
                mp.setenv("SOCIALPULSE_SANDBOX_URL", handle.url)
                settings = Settings.from_env()
                cfg = load_accounts(settings.config_file)
                for account in selected_accounts(cfg).values():
                    extract_account(settings, cfg, account, ds, days=WINDOW_DAYS, run_id=f"eng-{ds}", policy=FAST)
            finally:
                handle.stop()
        load_landing(settings.build_db, settings.landing_dir)
        proc = dbt_build(settings, home / "dbt_target")
        assert proc.returncode == 0, proc.stdout[-4000:]
        assert "ERROR=0" in proc.stdout
    connection = duckdb.connect(str(settings.build_db), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def world() -> dict:
    return truth(
        seed=SEED,
        today=RUN_DS + timedelta(days=1),
        start=FIRST_DAY,
        end=RUN_DS,
        metrics_lookback_days=WINDOW_DAYS,
    )


def ratio(numerator: int | None, denominator: int | None) -> float | None:
    """The warehouse's safe_ratio: NULL for a NULL input or a zero denominator."""
    return None if numerator is None or not denominator else numerator / denominator


def present_sum(*values: int | None) -> int | None:
    return None if all(v is None for v in values) else sum(v or 0 for v in values)


def organic_reach(viewers: int, views: int, views_paid: int) -> int:
    """LinkedIn's uniqueImpressionsCount counts organic viewers only."""
    return viewers * (views - views_paid) // views if views else 0


def same(got: dict, want: dict) -> None:
    """Equal column by column, NULL for NULL, rates to the last bits of a double."""
    assert {c for c in want if got[c] is None} == {c for c, v in want.items() if v is None}, (got, want)
    assert {c: got[c] for c in want} == {
        c: (pytest.approx(v, rel=1e-12, abs=0) if isinstance(v, float) else v) for c, v in want.items()
    }, got


@pytest.fixture(scope="module")
def ids() -> dict[str, str]:
    """Warehouse account_id -> platform, for the extracted accounts."""
    return {account_id: account_id.split(":")[0] for account_id in selected_accounts(load_accounts(CONFIG))}


def followers_by_day(world: dict) -> dict[tuple[str, date], int]:
    return {
        (f"{d['platform']}:{d['account_id']}", date.fromisoformat(d["date"])): d["followers"]
        for d in world["account_daily"]
    }


def post_want(platform: str, m: dict, followers: int | None) -> dict:
    """The rates of one post snapshot, from the truth's lifetime metrics."""
    lacks = POST_LACKS[platform]
    reach = organic_reach(m["viewers"], m["views"], m["views_paid"]) if platform == "linkedin" else m["viewers"]
    inputs = {
        "views": m["views"],
        "views_paid": m["views_paid"],
        "reach": reach,
        "reactions": m["reactions_total"],
        "comments": m["comments"],
        "shares": m["shares"],
        "clicks": m["clicks"],
    }
    i = {c: (None if c in lacks else v) for c, v in inputs.items()}
    engagements = present_sum(i["reactions"], i["comments"], i["shares"], i["clicks"])
    return {
        "engagements": engagements,
        "account_followers": followers,
        "engagement_rate": ratio(engagements, i["reach"]),
        "engagement_rate_by_views": ratio(engagements, i["views"]),
        "engagement_rate_by_followers": ratio(engagements, followers),
        "amplification_rate": ratio(i["shares"], followers),
        "conversation_rate": ratio(i["comments"], followers),
        "share_of_paid_views": ratio(i["views_paid"], i["views"]),
    }


def test_post_rates_equal_the_truth_with_the_followers_of_the_snapshot_date(con, world, ids):
    followers = followers_by_day(world)
    metrics = {(m["post_id"], date.fromisoformat(m["as_of"])): m for m in world["post_metrics"]}
    snaps = rows(con, "select * from marts.fct_post_snapshots")
    assert {r["account_id"] for r in snaps} == set(ids)
    assert {r["snapshot_date"] for r in snaps} == set(RUN_DAYS)
    latest = {}
    for r in snaps:
        platform = ids[r["account_id"]]
        native = r["post_id"].split(":", 1)[1]
        key = (r["account_id"], r["snapshot_date"])
        want = post_want(platform, metrics[(native, r["snapshot_date"])], followers[key])
        same(r, want)
        if r["snapshot_date"] >= latest.get(r["post_id"], (date.min, None))[0]:
            latest[r["post_id"]] = (r["snapshot_date"], want)
    # fct_post_engagement carries the rates of each post's latest snapshot
    posts = rows(con, "select * from marts.fct_post_engagement")
    assert {r["post_id"] for r in posts} == set(latest)
    for r in posts:
        snapshot_date, want = latest[r["post_id"]]
        assert r["snapshot_date"] == snapshot_date
        same(r, want)
    # every platform contributes, and every rate is set somewhere
    assert {ids[r["account_id"]] for r in posts} == set(ACCOUNTS)
    for column in ("engagement_rate_by_views", "amplification_rate", "conversation_rate", "share_of_paid_views"):
        assert any(r[column] for r in posts), column


def test_account_daily_growth_and_rates_equal_the_truth(con, world, ids):
    truth_days = {
        (f"{d['platform']}:{d['account_id']}", date.fromisoformat(d["date"])): d for d in world["account_daily"]
    }
    daily = rows(con, "select * from marts.fct_account_daily")
    keys = {(r["account_id"], r["report_date"]) for r in daily}
    assert {a for a, _ in keys} == set(ids)
    for r in daily:
        platform = ids[r["account_id"]]
        d = truth_days[(r["account_id"], r["report_date"])]
        lacks = DAILY_LACKS[platform]

        def known(account_id: str, day: date, platform: str = platform) -> bool:
            """Whether the warehouse holds the account's followers for that day."""
            return (account_id, day) in keys and (platform not in SNAPSHOT_FOLLOWERS or day in RUN_DAYS)

        followers = d["followers"] if known(r["account_id"], r["report_date"]) else None
        previous_day = r["report_date"] - timedelta(days=1)
        previous = (
            truth_days[(r["account_id"], previous_day)]["followers"] if known(r["account_id"], previous_day) else None
        )
        reach = organic_reach(d["viewers"], d["views"], d["views_paid"]) if platform == "linkedin" else d["viewers"]
        i = {
            c: (None if c in lacks else v)
            for c, v in {
                "views": d["views"],
                "views_paid": d["views_paid"],
                "reach": reach,
                "post_engagements": d["post_engagements"],
            }.items()
        }
        growth = None if followers is None or previous is None else followers - previous
        same(
            r,
            {
                "followers": followers,
                "follower_growth": growth,
                "follower_growth_rate": ratio(growth, previous),
                "engagement_rate": ratio(i["post_engagements"], i["reach"]),
                "engagement_rate_by_views": ratio(i["post_engagements"], i["views"]),
                "engagement_rate_by_followers": ratio(i["post_engagements"], followers),
                "share_of_paid_views": ratio(i["views_paid"], i["views"]),
            },
        )
    # growth is measured on every platform: day-by-day series and daily snapshots alike
    assert {ids[r["account_id"]] for r in daily if r["follower_growth"] is not None} == set(ACCOUNTS)


def test_one_query_per_grain_says_what_sponsoring_adds(con, world, ids):
    """The paid-vs-organic queries of the docs block `engagement_quality` answer with the truth."""
    sponsored = {
        f"{p['platform']}:{p['post_id']}"
        for p in world["posts"]
        if p["is_sponsored"] and p["platform"] in ("facebook", "x") and f"{p['platform']}:{p['account_id']}" in ids
    }
    per_post = rows(
        con,
        "select post_id, views, views_paid, views_organic, share_of_paid_views "
        "from marts.fct_post_engagement where is_paid",
    )
    window_posts = {r[0] for r in con.execute("select post_id from marts.fct_post_engagement").fetchall()}
    assert {r["post_id"] for r in per_post} == sponsored & window_posts
    assert {r["post_id"].split(":")[0] for r in per_post} == {"facebook", "x"}
    for r in per_post:
        assert 0 < r["share_of_paid_views"] <= 1
        assert r["views_paid"] + r["views_organic"] == r["views"]
    per_day = rows(
        con,
        "select account_id, report_date, views_paid, views_organic, share_of_paid_views "
        "from marts.fct_account_daily where views_paid is not null",
    )
    paid_days = {
        (f"facebook:{d['account_id']}", date.fromisoformat(d["date"]))
        for d in world["account_daily"]
        if d["platform"] == "facebook" and d["views_paid"] > 0
    }
    assert {ids[r["account_id"]] for r in per_day} == {"facebook"}
    assert {(r["account_id"], r["report_date"]) for r in per_day if r["share_of_paid_views"] > 0} == (
        paid_days & {(r["account_id"], r["report_date"]) for r in per_day}
    )
    assert any(r["share_of_paid_views"] > 0 for r in per_day)


def test_dim_platforms_flags_are_what_the_facts_hold(con):
    platforms = {r["platform"]: r for r in rows(con, "select * from marts.dim_platforms")}
    assert set(platforms) == set(ACCOUNTS)
    held = {
        r["platform"]: r
        for r in rows(
            con,
            "select platform, count(views) > 0 as has_views, count(views_paid) > 0 as has_paid_split, "
            "count(reach) > 0 as has_reach, count(clicks) > 0 as has_clicks "
            "from marts.fct_post_engagement group by platform",
        )
    }
    daily = dict(
        con.execute(
            "select platform, count(post_engagements) > 0 from marts.fct_account_daily group by platform"
        ).fetchall()
    )
    for platform, flags in platforms.items():
        for flag in ("has_views", "has_paid_split", "has_reach", "has_clicks"):
            assert flags[flag] == held[platform][flag], (platform, flag)
        assert flags["has_daily_series"] == daily[platform], platform
        assert flags["platform_name"]


def french_holidays(year: int) -> dict[date, str]:
    sunday = easter(year)
    days = {
        date(year, 1, 1): "Jour de l'an",
        sunday + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du Travail",
        date(year, 5, 8): "Victoire 1945",
        sunday + timedelta(days=39): "Ascension",
        sunday + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 14): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice 1918",
        date(year, 12, 25): "Noël",
    }
    assert len(days) == 11  # no coincidence in the years covered here (see the dbt unit test for 2008)
    return days


def week_start(iso_year: int, iso_week: int) -> date | None:
    try:
        return date.fromisocalendar(iso_year, iso_week, 1)
    except ValueError:  # week 53 of a 52-week year
        return None


def test_dim_dates_is_the_iso_calendar_with_french_names_and_holidays(con):
    days = rows(con, "select * from marts.dim_dates order by calendar_date")
    last_data_day = con.execute(
        "select max(d) from (select max(snapshot_date) as d from marts.fct_post_snapshots "
        "union all select max(report_date) from marts.fct_account_daily)"
    ).fetchone()[0]
    assert days[0]["calendar_date"] == date(2023, 1, 1)
    assert days[-1]["calendar_date"] == last_data_day + timedelta(days=366)
    assert len(days) == (days[-1]["calendar_date"] - days[0]["calendar_date"]).days + 1
    holidays = {}
    for year in range(days[0]["calendar_date"].year, days[-1]["calendar_date"].year + 1):
        holidays |= french_holidays(year)
    for r in days:
        day = r["calendar_date"]
        iso = day.isocalendar()
        assert r == {
            "calendar_date": day,
            "iso_year": iso.year,
            "iso_week": iso.week,
            "iso_year_week": f"{iso.year}-W{iso.week:02d}",
            "iso_week_start_date": day - timedelta(days=iso.weekday - 1),
            "previous_year_iso_week_start_date": week_start(iso.year - 1, iso.week),
            "iso_day_of_week": iso.weekday,
            "weekday_name_fr": WEEKDAYS_FR[iso.weekday - 1],
            "is_weekend": iso.weekday >= 6,
            "calendar_year": day.year,
            "month_of_year": day.month,
            "month_name_fr": MONTHS_FR[day.month - 1],
            "month_start_date": day.replace(day=1),
            "day_of_month": day.day,
            "is_public_holiday": day in holidays,
            "public_holiday_name": holidays.get(day),
        }, r
    # 2026 has 53 ISO weeks; 2025 has 52: its week 53 has no previous-year week
    assert sum(r["previous_year_iso_week_start_date"] is None for r in days) == 7
