"""Reconciling the serving marts with the sandbox's ground truth, exactly.

Shared by the end-to-end test (`airflow dags test`) and the native stack test (a real
scheduler, triggered through the REST API): both assert the same equalities.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

# What each platform does not measure: NULL in the marts, never 0 (dbt docs, "One vocabulary").
# Everything else must equal the sandbox truth.
DAILY_LACKS = {
    "facebook": set(),
    "instagram": {"unfollows", "net_follows", "views_paid", "views_organic", "page_views"},
    "linkedin": {"follows", "unfollows", "net_follows", "views", "views_paid", "page_views"},
    **dict.fromkeys(
        ("x", "bluesky", "mastodon"),
        {
            "follows",
            "unfollows",
            "net_follows",
            "views",
            "views_paid",
            "views_organic",
            "reach",
            "post_engagements",
            "page_views",
        },
    ),
}
POST_LACKS = {
    "facebook": set(),
    "instagram": {"views_paid", "views_organic", "clicks", "is_paid"},
    "linkedin": {"views", "views_paid", "is_paid"},
    "x": {"reach", "engagement_rate"},
    **dict.fromkeys(
        ("bluesky", "mastodon"),
        {"views", "views_paid", "views_organic", "reach", "clicks", "engagement_rate", "is_paid"},
    ),
}
DAILY_SERIES = {"facebook", "instagram", "linkedin"}
# Instagram's daily insights have follows but no follower total: followers_count is a
# current value, snapshotted on the extraction day only.
FOLLOWERS_SNAPSHOT_ONLY = {"instagram"}  # the others give follower counts, snapshotted once per run


def _organic_reach(viewers: int, views: int, views_paid: int) -> int:
    """LinkedIn's uniqueImpressionsCount counts organic viewers only: viewers scaled by the organic share."""
    return viewers * (views - views_paid) // views if views else 0


def daily_truth(platform: str, d: dict) -> dict:
    reach = _organic_reach(d["viewers"], d["views"], d["views_paid"]) if platform == "linkedin" else d["viewers"]
    return {
        "followers": d["followers"],
        "follows": d["follows"],
        "unfollows": d["unfollows"],
        "net_follows": d["follows"] - d["unfollows"],
        "views": d["views"],
        "views_paid": d["views_paid"],
        "views_organic": d["views"] - d["views_paid"],
        "reach": reach,
        "post_engagements": d["post_engagements"],
        "page_views": d["page_views"],
        "posts_published": d["posts_published"],
    }


def post_truth(platform: str, post: dict, m: dict) -> dict:
    reach = _organic_reach(m["viewers"], m["views"], m["views_paid"]) if platform == "linkedin" else m["viewers"]
    want = {
        "views": m["views"],
        "views_paid": m["views_paid"],
        "views_organic": m["views"] - m["views_paid"],
        "reach": reach,
        "reactions": m["reactions_total"],
        "comments": m["comments"],
        "shares": m["shares"],
        "clicks": m["clicks"],
        "is_paid": post["is_sponsored"],
    }
    # engagements: what the platform measures of reactions, comments, shares and clicks
    want["engagements"] = sum(
        want[c] for c in ("reactions", "comments", "shares", "clicks") if c not in POST_LACKS[platform]
    )
    return want


def rows(serving_db: Path, sql: str) -> list[dict]:
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()


def assert_account_daily_equals_truth(serving_db: Path, expected: dict, platform: str, snapshot_day: date) -> None:
    """Every account-day of `platform` in `expected`'s window (daily-series platforms) or of
    the snapshot day (the others) is in fct_account_daily, equal to truth; what the
    platform does not measure is NULL."""
    want = {
        (f"{platform}:{d['account_id']}", date.fromisoformat(d["date"])): daily_truth(platform, d)
        for d in expected["account_daily"]
        if d["platform"] == platform and (platform in DAILY_SERIES or d["date"] == snapshot_day.isoformat())
    }
    got = rows(serving_db, f"select * from marts.fct_account_daily where platform = '{platform}'")
    assert {(r["account_id"], r["report_date"]) for r in got} == set(want)
    for r in got:
        w = want[(r["account_id"], r["report_date"])]
        lacks = DAILY_LACKS[platform] | (
            {"followers"} if r["report_date"] != snapshot_day and platform in FOLLOWERS_SNAPSHOT_ONLY else set()
        )
        assert {c for c in w if r[c] is None} == lacks, r
        assert {c: r[c] for c in w if r[c] is not None} == {c: v for c, v in w.items() if r[c] is not None}, r


def assert_post_engagement_equals_truth(
    serving_db: Path, expected: dict, platform: str, snapshot_day: date, min_posts: int = 5
) -> None:
    """Every post of `platform` in `expected` is in fct_post_engagement, as of `snapshot_day`."""
    metrics = {(m["post_id"], m["as_of"]): m for m in expected["post_metrics"]}
    want = {
        f"{platform}:{p['post_id']}": post_truth(platform, p, metrics[(p["post_id"], snapshot_day.isoformat())])
        for p in expected["posts"]
        if p["platform"] == platform
    }
    got = rows(serving_db, f"select * from marts.fct_post_engagement where platform = '{platform}'")
    assert {r["post_id"] for r in got} == set(want)
    assert len(got) >= min_posts, f"{platform}: {len(got)} posts, fewer than {min_posts}"
    for r in got:
        w = want[r["post_id"]]
        assert r["snapshot_date"] == snapshot_day
        assert {c for c in [*w, "engagement_rate"] if r[c] is None} == POST_LACKS[platform], r
        assert {c: r[c] for c in w if r[c] is not None} == {c: v for c, v in w.items() if r[c] is not None}, r
