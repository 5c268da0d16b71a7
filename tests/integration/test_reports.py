"""The BI contract's facts and reports against the sandbox's truth, on real DuckDB files.

Daily extract runs (Facebook and Mastodon, each run re-reading the posts of its last
LOOKBACK days, so every post is read until it settles), each against a private
in-thread sandbox whose "today" is the day after its `_ds`, into a temporary
SOCIALPULSE_HOME, for two windows:

* 2024-11-17 .. 2024-11-24: ISO week 47 of 2024 in full (the same week last year);
* 2025-11-09 .. 2025-11-30: ISO weeks 46, 47 and 48 of 2025 in full. Week 46 holds
  2025-11-15, when Facebook's `post_impressions` became `post_media_view` (seed
  metric_lineage).

Everything but the last week is loaded and built, the last week is loaded and built
incrementally (`reprocess_days: 3`), then everything is rebuilt with `--full-refresh`:
same rows. The figures are then checked against the world's truth: per-post daily
increments, topics (the warehouse's own bridge), weeks, the week before and last year,
deltas, lineage and coverage flags, top posts, best format and hour (Europe/Paris).
"""

from __future__ import annotations

import math
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from sandbox.server import serve_in_thread
from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.connectors.client import RetryPolicy
from socialpulse.extract import extract_account
from socialpulse.load import load_landing
from socialpulse.settings import REPO_ROOT, Settings
from tests.integration._dbt_harness import rows

pytestmark = pytest.mark.integration

SEED = 42
PLATFORMS = ("facebook", "mastodon")
LOOKBACK = 4  # a post changes on its day and the 3 after (sandbox settling, comments within 70 h)
PARIS = ZoneInfo("Europe/Paris")
DBT = str(Path(sys.executable).parent / "dbt")
SELECT = (
    "+rpt_weekly_comparison",
    "+rpt_top_posts_weekly",
    "+rpt_best_format",
    "+rpt_best_hour",
    "+dim_accounts",
    "+dim_topics",
)
FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)

LY47 = date(2024, 11, 18)  # Mondays of the ISO weeks extracted in full
W46 = date(2025, 11, 10)
W47 = date(2025, 11, 17)
W48 = date(2025, 11, 24)
FULL_WEEKS = (LY47, W46, W47, W48)
W45 = date(2025, 11, 3)  # partly: the first run (2025-11-09) measured its last days


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


FIRST_RUNS = _days(LY47 - timedelta(days=1), LY47 + timedelta(days=6)) + _days(
    W46 - timedelta(days=1), W47 + timedelta(days=6)
)
LATER_RUNS = _days(W48, W48 + timedelta(days=6))
LAST_DAY = LATER_RUNS[-1]
COUNTS = ("views", "reach", "reactions", "comments", "shares", "clicks", "engagements")
NOT_MEASURED = {"facebook": set(), "mastodon": {"views", "reach", "clicks"}}
"""What each platform does not serve: NULL in the marts (dbt docs, "One vocabulary")."""


# ----------------------------------------------------------------------------- build


def _extract(patch: pytest.MonkeyPatch, ds: date) -> Settings:
    """One daily run of every Facebook and Mastodon account, against a sandbox whose today is ds + 1."""
    handle = serve_in_thread(port=0, seed=SEED, today=ds + timedelta(days=1), quiet=True)
    try:
        patch.setenv("SOCIALPULSE_SANDBOX_URL", handle.url)
        settings = Settings.from_env()
        cfg = load_accounts(settings.config_file)
        for platform in PLATFORMS:
            for account in cfg.for_platform(platform):
                extract_account(settings, cfg, account, ds, days=LOOKBACK, run_id=f"reports-{ds}", policy=FAST)
    finally:
        handle.stop()
    return settings


def _dbt_build(settings: Settings, target: Path, *extra: str) -> None:
    proc = subprocess.run(
        [DBT, "build", "--select", *SELECT, "--indirect-selection", "buildable", *extra]
        + ["--project-dir", "dbt_project", "--profiles-dir", "dbt_project", "--target-path", str(target)],
        cwd=REPO_ROOT,
        env={**os.environ, **settings.dbt_env()},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "ERROR=0" in proc.stdout


def _read(settings: Settings, sql: str) -> list[dict]:
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        return rows(con, sql)
    finally:
        con.close()


INCREMENTAL_TABLES = {
    "fct_post_daily": "post_id, activity_date",
    "fct_topic_engagement_daily": "topic, account_id, activity_date",
    "rpt_weekly_comparison": "week_start, account_id, topic, format, metric",
}


def _tables(settings: Settings) -> dict[str, list[dict]]:
    return {t: _read(settings, f"select * from marts.{t} order by {key}") for t, key in INCREMENTAL_TABLES.items()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOCIALPULSE_HOME", str(root / "data"))
        patch.delenv("SOCIALPULSE_BUILD_DB", raising=False)
        patch.delenv("SOCIALPULSE_SERVING_DB", raising=False)
        patch.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
        for platform in PLATFORMS:
            patch.setenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", "sandbox-token")
        target = root / "dbt_target"
        for ds in FIRST_RUNS:
            settings = _extract(patch, ds)
        load_landing(settings.build_db, settings.landing_dir)
        _dbt_build(settings, target)
        for ds in LATER_RUNS:
            settings = _extract(patch, ds)
        load_landing(settings.build_db, settings.landing_dir)
        _dbt_build(settings, target, "--vars", "{reprocess_days: 3}")
        incremental = _tables(settings)
        _dbt_build(settings, target, "--full-refresh")
        yield {"settings": settings, "incremental": incremental, "full": _tables(settings)}


@pytest.fixture(scope="module")
def marts(built) -> dict[str, list[dict]]:
    settings = built["settings"]
    names = ("fct_post_engagement", "dim_posts", "bdg_post_topics", "rpt_top_posts_weekly")
    names += ("rpt_best_format", "rpt_best_hour", "int_weekly_metrics_filled")
    tables = {
        n: _read(settings, f"select * from {'intermediate' if n.startswith('int_') else 'marts'}.{n}") for n in names
    }
    return {**tables, **built["full"]}


# ----------------------------------------------------------------------------- truth


def _vocabulary(platform: str, m: dict | None) -> dict[str, int | None]:
    """A post's lifetime counters (truth, as of a day) in the warehouse's vocabulary; zeros before it exists."""
    if m is None:
        values = dict.fromkeys(("views", "reach", "reactions", "comments", "shares", "clicks"), 0)
    else:
        values = {
            "views": m["views"],
            "reach": m["viewers"],
            "reactions": m["reactions_total"],
            "comments": m["comments"],
            "shares": m["shares"],
            "clicks": m["clicks"],
        }
    for metric in NOT_MEASURED[platform]:
        values[metric] = None
    values["engagements"] = sum(values[c] or 0 for c in ("reactions", "comments", "shares", "clicks"))
    return values


@pytest.fixture(scope="module")
def world() -> dict:
    """The truth of every post published from 4 days before each full week to its end.

    posts: warehouse post id -> truth post (plus `platform`, `account_id` as in the marts);
    lifetime: (post id, as_of) -> counters in the warehouse's vocabulary;
    increments: (post id, day) -> what the post gained that day, for every day of a full week.
    """
    posts: dict[str, dict] = {}
    lifetime: dict[tuple[str, date], dict] = {}
    for week in (LY47, W46):
        first, last = week - timedelta(days=LOOKBACK), (W48 if week == W46 else week) + timedelta(days=6)
        for platform in PLATFORMS:
            t = truth(SEED, today=LAST_DAY + timedelta(days=1), start=first, end=last, platform=platform)
            t_posts = {p["post_id"]: p for p in t["posts"]}
            for p in t["posts"]:
                posts[f"{platform}:{p['post_id']}"] = {**p, "account_id": f"{platform}:{p['account_id']}"}
            for m in t["post_metrics"]:
                if m["post_id"] in t_posts:
                    lifetime[(f"{platform}:{m['post_id']}", date.fromisoformat(m["as_of"]))] = _vocabulary(platform, m)
    increments: dict[tuple[str, date], dict] = {}
    for post_id, p in posts.items():
        published = date.fromisoformat(p["created_at"][:10])
        for week in FULL_WEEKS:
            for day in _days(week, week + timedelta(days=6)):
                if published <= day <= published + timedelta(days=LOOKBACK - 1):
                    now = lifetime[(post_id, day)]
                    before = lifetime.get((post_id, day - timedelta(days=1))) or _vocabulary(p["platform"], None)
                    increments[(post_id, day)] = {k: None if now[k] is None else now[k] - before[k] for k in COUNTS}
    return {"posts": posts, "lifetime": lifetime, "increments": increments}


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _paris(created_at: str) -> datetime:
    return datetime.fromisoformat(created_at.replace("Z", "+00:00")).astimezone(PARIS)


def _add(total: dict, values: dict) -> None:
    for k, v in values.items():
        total[k] = None if v is None else (total.get(k) or 0) + v


# ----------------------------------------------------------------------------- tests


def test_incremental_builds_equal_a_full_refresh(built):
    for table in INCREMENTAL_TABLES:
        assert built["incremental"][table] == built["full"][table], table
    assert len(built["full"]["fct_post_daily"]) > 300


def test_post_daily_increments_equal_the_truth_every_day_of_the_full_weeks(marts, world):
    full_days = {d for w in FULL_WEEKS for d in _days(w, w + timedelta(days=6))}
    got = {
        (r["post_id"], r["activity_date"]): {k: r[k] for k in COUNTS}
        for r in marts["fct_post_daily"]
        if r["activity_date"] in full_days
    }
    assert got == world["increments"]
    # summed over its days, a post's increments are its latest lifetime values
    totals: dict[str, dict] = defaultdict(dict)
    for r in marts["fct_post_daily"]:
        _add(totals[r["post_id"]], {k: r[k] for k in COUNTS})
    latest = {r["post_id"]: {k: r[k] for k in COUNTS} for r in marts["fct_post_engagement"]}
    assert totals == latest


def test_first_snapshots_count_from_zero_on_the_publication_day(marts):
    published = {p["post_id"]: p["published_date"] for p in marts["dim_posts"]}
    first = [r for r in marts["fct_post_daily"] if r["is_first_snapshot"]]
    assert {r["post_id"] for r in first} == set(published)
    assert all(r["activity_date"] == published[r["post_id"]] and r["previous_snapshot_date"] is None for r in first)
    # the first runs of each window read posts published before them: counted on their day
    assert any(r["snapshot_date"] > r["activity_date"] for r in first)


def test_topic_engagement_daily_is_the_truth_by_the_bridge(marts, world):
    topics = defaultdict(dict)
    for b in marts["bdg_post_topics"]:
        topics[b["post_id"]][b["topic"]] = b["topic_weight"]
    full_days = {d for w in FULL_WEEKS for d in _days(w, w + timedelta(days=6))}
    want: dict[tuple, dict] = defaultdict(dict)
    for (post_id, day), inc in world["increments"].items():
        for topic in topics[post_id]:
            _add(want[(topic, world["posts"][post_id]["account_id"], day)], inc)
    for post_id, p in world["posts"].items():
        day = _paris(p["created_at"]).date()
        if day in full_days:
            for topic in topics[post_id]:
                _add(want[(topic, p["account_id"], day)], {"posts_published": 1})
    for values in want.values():
        values.setdefault("posts_published", 0)
    got = {
        (r["topic"], r["account_id"], r["activity_date"]): {k: r[k] for k in (*COUNTS, "posts_published")}
        for r in marts["fct_topic_engagement_daily"]
        if r["activity_date"] in full_days
    }
    assert got == want
    # multi-label posts: the weighted columns count every post once across topics
    per_account_day: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in marts["fct_topic_engagement_daily"]:
        per_account_day[(r["account_id"], r["activity_date"])][0] += r["engagements_weighted"] or 0
        per_account_day[(r["account_id"], r["activity_date"])][1] += r["posts_published_weighted"]
    daily = defaultdict(lambda: [0, 0])
    for r in marts["fct_post_daily"]:
        daily[(r["account_id"], r["activity_date"])][0] += r["engagements"] or 0
    for p in marts["dim_posts"]:
        daily[(p["account_id"], p["published_date"])][1] += 1
    assert per_account_day.keys() == daily.keys()
    for key, (engagements, published) in per_account_day.items():
        assert math.isclose(engagements, daily[key][0], abs_tol=1e-6) and math.isclose(published, daily[key][1])


def _comparison(marts) -> dict[tuple, dict]:
    return {
        (r["week_start"], r["account_id"], r["topic"], r["format"], r["metric"]): r
        for r in marts["rpt_weekly_comparison"]
    }


def _truth_weeks(world, marts) -> dict[tuple, dict]:
    """(week_start, account, topic, format) -> the truth's sums for every full week."""
    topics = defaultdict(list)
    for b in marts["bdg_post_topics"]:
        topics[b["post_id"]].append(b["topic"])
    want: dict[tuple, dict] = defaultdict(dict)

    def groups(post_id: str) -> list[tuple[str, str]]:
        return [("_all", "_all"), ("_all", world["posts"][post_id]["format"])] + [(t, "_all") for t in topics[post_id]]

    for (post_id, day), inc in world["increments"].items():
        for topic, fmt in groups(post_id):
            _add(want[(_week(day), world["posts"][post_id]["account_id"], topic, fmt)], inc)
    for post_id, p in world["posts"].items():
        week = _week(_paris(p["created_at"]).date())
        if week in FULL_WEEKS:
            for topic, fmt in groups(post_id):
                _add(want[(week, p["account_id"], topic, fmt)], {"posts_published": 1})
    return want


def test_weekly_values_equal_the_sum_of_the_truth_daily_increments(marts, world):
    rpt = _comparison(marts)
    want = _truth_weeks(world, marts)
    checked = 0
    for (week, account, topic, fmt), sums in want.items():
        platform = account.split(":")[0]
        for metric in (*COUNTS, "posts_published"):
            row = rpt[(week, account, topic, fmt, metric)]
            if metric in NOT_MEASURED[platform]:
                assert row["value"] is None, row
            else:
                assert row["value"] == (sums.get(metric) or 0), (row, sums)
                checked += 1
        rate = rpt[(week, account, topic, fmt, "engagement_rate")]["value"]
        if platform == "facebook" and sums.get("reach"):
            assert math.isclose(rate, sums["engagements"] / sums["reach"])
        elif platform == "mastodon":
            assert rate is None
    assert checked > 1000
    # every row of a full week is a group with activity in the truth, or a 0 against one that had some
    for (week, account, topic, fmt, metric), row in rpt.items():
        if week in FULL_WEEKS and metric in COUNTS and (week, account, topic, fmt) not in want:
            assert row["value"] in (0, None), row
            assert topic != "_all" or fmt != "_all"


def test_the_week_before_and_last_year_are_the_rows_of_those_weeks(marts):
    rpt = _comparison(marts)
    filled = {
        (r["week_start"], r["account_id"], r["topic"], r["format"], r["metric"]): r
        for r in marts["int_weekly_metrics_filled"]
    }
    account_weeks = {(w, a) for (w, a, t, f, _m) in rpt if t == f == "_all"}
    for (_w, account, _t, _f, metric), r in filled.items():
        measured = metric in (*COUNTS, "posts_published") and metric not in NOT_MEASURED[account.split(":")[0]]
        assert r["value_if_no_activity"] == (0 if measured else None), r
    for (week, account, topic, fmt, metric), row in rpt.items():
        for base_week, value_col, abs_col, pct_col in (
            (week - timedelta(days=7), "previous_week_value", "previous_week_abs_delta", "previous_week_pct_delta"),
            (row["last_year_week_start"], "last_year_value", "last_year_abs_delta", "last_year_pct_delta"),
        ):
            base = rpt.get((base_week, account, topic, fmt, metric))
            if (base_week, account) not in account_weeks:
                expected = None  # no data at all that week: NULL, never 0
            elif base is not None:
                expected = base["value"]
            else:  # data that week, but no activity of the group: 0 where measured
                expected = filled[(week, account, topic, fmt, metric)]["value_if_no_activity"]
            assert row[value_col] == expected, (row, value_col)
            if row["value"] is None or expected is None:
                assert row[abs_col] is None and row[pct_col] is None
            else:
                assert math.isclose(row[abs_col], row["value"] - expected, abs_tol=1e-9)
                if expected == 0:
                    assert row[pct_col] is None
                else:
                    assert math.isclose(row[pct_col], (row["value"] - expected) / expected)
    fb = "facebook:112233445566001"
    now = rpt[(W47, fb, "_all", "_all", "engagements")]
    assert now["previous_week_value"] == rpt[(W46, fb, "_all", "_all", "engagements")]["value"] > 0
    assert now["last_year_week_start"] == LY47
    assert now["last_year_value"] == rpt[(LY47, fb, "_all", "_all", "engagements")]["value"] > 0
    # 2024-W48 was never extracted: NULL, flagged
    later = rpt[(W48, fb, "_all", "_all", "engagements")]
    assert later["last_year_value"] is None and later["last_year_days_with_data"] == 0
    assert later["is_comparison_unfair_last_year"]
    assert "2024-W48 has data on 0 of 7 days" in later["unfair_reason_last_year"]


def test_a_topic_without_activity_in_a_week_with_data_is_zero_not_missing(marts):
    rpt = _comparison(marts)
    stopped = [
        r
        for key, r in rpt.items()
        if key[0] == W47 and key[4] == "engagements" and r["value"] == 0 and (r["previous_week_value"] or 0) > 0
    ]
    assert stopped, "no group that stopped between 2025-W46 and 2025-W47"
    for r in stopped:
        assert r["previous_week_pct_delta"] == -1.0
    started = [
        r
        for key, r in rpt.items()
        if key[0] == W47 and key[4] == "engagements" and r["previous_week_value"] == 0 and r["value"]
    ]
    assert started and all(r["previous_week_pct_delta"] is None for r in started)


def test_lineage_breaks_and_incomplete_weeks_flag_the_comparison(marts):
    rpt = _comparison(marts)
    fb, masto = "facebook:112233445566001", "mastodon:109384756201938475"

    def row(week, account, metric):
        return rpt[(week, account, "_all", "_all", metric)]

    # views: post_impressions until 2025-11-14, post_media_view from 2025-11-15 (in 2025-W46)
    views = row(W47, fb, "views")
    assert views["days_with_data"] == views["previous_week_days_with_data"] == 7
    assert views["is_comparison_unfair_previous_week"] and views["is_comparison_unfair_last_year"]
    assert "post_impressions + post_media_view" in views["unfair_reason_previous_week"]
    assert "2024-W47 views from post_impressions" in views["unfair_reason_last_year"]
    assert "days" not in views["unfair_reason_previous_week"]
    # the account's views: page_impressions -> page_media_view on the same day
    assert "page_impressions + page_media_view" in row(W47, fb, "account_views")["unfair_reason_previous_week"]
    # the same API metric on both sides: fair
    after = row(W48, fb, "views")
    assert not after["is_comparison_unfair_previous_week"] and after["unfair_reason_previous_week"] is None
    for metric in ("reach", "engagements", "engagement_rate", "posts_published"):
        fair = row(W47, fb, metric)
        assert not fair["is_comparison_unfair_previous_week"] and not fair["is_comparison_unfair_last_year"], fair
    # Mastodon serves no views at all: nothing changed
    assert not row(W47, masto, "views")["is_comparison_unfair_previous_week"]
    # 2025-W45: the first run (2025-11-09, 4 days back) measured its last 4 days only
    start = row(W46, fb, "reach")
    assert start["previous_week_days_with_data"] == 4
    assert start["is_comparison_unfair_previous_week"]
    assert start["unfair_reason_previous_week"] == "2025-W45 has data on 4 of 7 days"
    # the flags follow the platform, for every topic and format
    for (week, account, _t, _f, metric), r in rpt.items():
        if week == W47 and metric == "views" and account.startswith("facebook:"):
            assert r["is_comparison_unfair_previous_week"] and r["is_comparison_unfair_last_year"]


def test_top_posts_are_the_weeks_best_posts_in_order(marts, world):
    top = defaultdict(list)
    for r in sorted(marts["rpt_top_posts_weekly"], key=lambda r: r["rank"]):
        top[(r["week_start"], r["account_id"], r["ranking"])].append(r)
    by_account_week = defaultdict(list)
    for post_id, p in world["posts"].items():
        published = _paris(p["created_at"])
        if _week(published.date()) in (W46, W47):
            last_read = min(published.date() + timedelta(days=LOOKBACK - 1), LAST_DAY)
            values = world["lifetime"][(post_id, last_read)]
            by_account_week[(_week(published.date()), p["account_id"])].append((post_id, p, values))
    assert len(by_account_week) == 10
    for (week, account), posts in by_account_week.items():
        ordered = sorted(posts, key=lambda x: (-x[2]["engagements"], x[1]["created_at"]))
        got = top[(week, account, "engagements")]
        assert [r["post_id"] for r in got] == [x[0] for x in ordered[:5]]
        assert [r["engagements"] for r in got] == [x[2]["engagements"] for x in ordered[:5]]
        assert [r["rank"] for r in got] == list(range(1, len(got) + 1))
        for r in got:
            p = world["posts"][r["post_id"]]
            assert r["permalink_url"] == p["permalink_url"] and r["format"] == p["format"]
            assert r["topics"]
        if account.startswith("facebook:"):
            rated = [x for x in posts if x[2]["reach"] >= 100]
            ordered = sorted(rated, key=lambda x: (-x[2]["engagements"] / x[2]["reach"], x[1]["created_at"]))
            assert [r["post_id"] for r in top[(week, account, "engagement_rate")]] == [x[0] for x in ordered[:5]]
        else:  # no reach, no rate
            assert not top[(week, account, "engagement_rate")]
    # platform_rank: the place among every account of the platform
    best_fb = [r for r in marts["rpt_top_posts_weekly"] if r["week_start"] == W47 and r["platform"] == "facebook"]
    best_fb = [r for r in best_fb if r["ranking"] == "engagements"]
    assert sorted(r["platform_rank"] for r in best_fb if r["platform_rank"] <= 5) == [1, 2, 3, 4, 5]
    first = next(r for r in best_fb if r["platform_rank"] == 1)
    assert first["engagements"] == max(r["engagements"] for r in best_fb)


def _window_posts(world) -> list[tuple[dict, dict]]:
    """Posts of the best-format/hour window: published 2025-08-30 .. 2025-11-27 (last snapshot 11-30 - 3 days)."""
    end = LAST_DAY - timedelta(days=3)
    start = end - timedelta(days=89)
    out = []
    for post_id, p in world["posts"].items():
        published = _paris(p["created_at"]).date()
        if start <= published <= end:
            last_read = min(published + timedelta(days=LOOKBACK - 1), LAST_DAY)
            out.append((p, world["lifetime"][(post_id, last_read)]))
    return out


def _stats(posts: list[tuple[dict, dict]]) -> dict:
    engagements = [v["engagements"] for _, v in posts]
    rates = [v["engagements"] / v["reach"] for _, v in posts if v["reach"]]
    return {
        "posts": len(posts),
        "posts_with_rate": len(rates),
        "engagements_median": statistics.median(engagements),
        "engagements_mean": statistics.fmean(engagements),
        "engagement_rate_median": statistics.median(rates) if rates else None,
        "engagement_rate_mean": statistics.fmean(rates) if rates else None,
        "is_small_sample": len(posts) < 10,
    }


def _same_stats(got: dict, want: dict) -> bool:
    return all(
        (got[k] is None and want[k] is None)
        or (got[k] is not None and want[k] is not None and math.isclose(got[k], want[k]))
        for k in want
    )


def test_best_hour_is_the_hour_of_publication_in_paris(marts, world):
    posts = _window_posts(world)
    by_hour = defaultdict(list)
    for p, values in posts:
        by_hour[(p["platform"], _paris(p["created_at"]).hour)].append((p, values))
    # November: Paris is UTC+1, every post's Paris hour is its UTC hour + 1
    assert all(_paris(p["created_at"]).hour == (int(p["created_at"][11:13]) + 1) % 24 for p, _ in posts)
    got = {(r["platform"], r["hour_of_day"]): r for r in marts["rpt_best_hour"]}
    assert got.keys() == by_hour.keys()
    for key, group in by_hour.items():
        assert _same_stats(got[key], _stats(group)), (key, got[key])
        assert got[key]["window_start_date"] == date(2025, 8, 30) and got[key]["window_end_date"] == date(2025, 11, 27)
    ranked = sorted(
        (r for r in got.values() if r["platform"] == "facebook" and not r["is_small_sample"]),
        key=lambda r: r["rank_by_engagements"],
    )
    assert ranked[0]["rank_by_engagements"] == 1
    assert [r["engagements_median"] for r in ranked] == sorted((r["engagements_median"] for r in ranked), reverse=True)
    assert all(r["rank_by_engagements"] is None for r in got.values() if r["is_small_sample"])


def test_best_format_per_platform(marts, world):
    by_format = defaultdict(list)
    for p, values in _window_posts(world):
        by_format[(p["platform"], p["format"])].append((p, values))
    got = {(r["platform"], r["format"]): r for r in marts["rpt_best_format"]}
    assert got.keys() == by_format.keys()
    for key, group in by_format.items():
        assert _same_stats(got[key], _stats(group)), (key, got[key])
    masto = [r for r in got.values() if r["platform"] == "mastodon"]
    assert all(r["engagement_rate_median"] is None and r["rank_by_engagement_rate"] is None for r in masto)


def test_the_documented_queries_run_on_the_marts(built):
    """Each analyst question of models/marts/reports.md is one query that returns rows."""
    docs = (REPO_ROOT / "dbt_project" / "models" / "marts" / "reports.md").read_text(encoding="utf-8")
    queries = re.findall(r"```sql\n(.*?)```", docs, flags=re.S)
    assert len(queries) == 4
    for sql in queries:
        assert sql.count(";") == 1, sql
        assert _read(built["settings"], sql), sql
