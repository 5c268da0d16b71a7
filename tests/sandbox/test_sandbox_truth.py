"""Ground truth equals what the API serves, and covers what the warehouse needs."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

import httpx
import pytest

from sandbox import region
from sandbox.timeutil import two_years_before
from sandbox.truth import truth
from tests.sandbox._helpers import graph_items

START, END = date(2026, 10, 20), date(2026, 11, 25)  # ends on today - 1
PAGES = [a.account_id for a in region.accounts("facebook")]
METRIC_TO_FIELD = {
    "page_follows": "followers",
    "page_daily_follows_unique": "follows",
    "page_daily_unfollows_unique": "unfollows",
    "page_media_view": "views",
    "page_total_media_view_unique": "viewers",
    "page_post_engagements": "post_engagements",
    "page_views_total": "page_views",
    "page_video_views": "video_views",
}


@pytest.fixture(scope="module")
def window_truth(seed: int, today: date) -> dict:
    return truth(seed, today, START, END, platform="facebook")


def test_account_daily_equals_page_insights(fb: httpx.Client, window_truth: dict) -> None:
    truth_rows = {(r["account_id"], r["date"]): r for r in window_truth["account_daily"]}
    assert len(truth_rows) == 3 * ((END - START).days + 1)
    for page in PAGES:
        params = {
            "metric": ",".join(METRIC_TO_FIELD),
            "period": "day",
            "since": START.isoformat(),
            "until": (END + timedelta(days=1)).isoformat(),
        }
        split = fb.get(f"/{page}/insights", params={**params, "metric": "page_media_view", "breakdown": "is_from_ads"})
        paid = {v["end_time"][:10]: v["value"]["true"] for v in split.json()["data"][0]["values"]}
        for metric in fb.get(f"/{page}/insights", params=params).json()["data"]:
            assert len(metric["values"]) == len(truth_rows) // 3
            for value in metric["values"]:
                day = (date.fromisoformat(value["end_time"][:10]) - timedelta(days=1)).isoformat()
                row = truth_rows[(page, day)]
                assert value["value"] == row[METRIC_TO_FIELD[metric["name"]]], (metric["name"], day)
                if metric["name"] == "page_media_view":
                    assert paid[value["end_time"][:10]] == row["views_paid"]


def test_posts_and_post_metrics_equal_api(fb: httpx.Client, window_truth: dict, today: date) -> None:
    as_of = (today - timedelta(days=1)).isoformat()
    latest = {m["post_id"]: m for m in window_truth["post_metrics"] if m["as_of"] == as_of}
    truth_posts = {p["post_id"]: p for p in window_truth["posts"]}
    fields = "id,message,created_time,permalink_url,status_type,shares"
    served = []
    for page in PAGES:
        served += graph_items(
            fb.get(
                f"/{page}/posts",
                params={"fields": fields, "since": START.isoformat(), "until": today.isoformat(), "limit": "25"},
            )
        )
    assert sorted(p["id"] for p in served) == sorted(truth_posts)
    metrics = "post_media_view,post_total_media_view_unique,post_reactions_by_type_total,post_clicks"
    for post in served:
        expected_post = truth_posts[post["id"]]
        assert post["permalink_url"] == expected_post["permalink_url"]
        assert post.get("message") == expected_post["message"]
        assert post["created_time"].replace("+0000", "Z") == expected_post["created_at"]
        expected = latest[post["id"]]
        insights = fb.get(f"/{post['id']}/insights", params={"metric": metrics}).json()["data"]
        values = {m["name"]: m["values"][0]["value"] for m in insights}
        comments = fb.get(f"/{post['id']}/comments", params={"filter": "stream", "summary": "true", "limit": "1"})
        shares = post.get("shares", {}).get("count", 0)
        reactions = sum(values["post_reactions_by_type_total"].values())
        total_comments = comments.json()["summary"]["total_count"]
        assert values["post_media_view"] == expected["views"]
        assert values["post_total_media_view_unique"] == expected["viewers"]
        assert values["post_reactions_by_type_total"] == expected["reactions"]
        assert (reactions, total_comments, shares, values["post_clicks"]) == (
            expected["reactions_total"],
            expected["comments"],
            expected["shares"],
            expected["clicks"],
        )
        assert reactions + total_comments + shares + values["post_clicks"] == expected["engagements"]


def test_truth_comments_equal_api(fb: httpx.Client, window_truth: dict) -> None:
    by_post = defaultdict(list)
    for comment in window_truth["comments"]:
        by_post[comment["post_id"]].append(comment)
    busiest = sorted(by_post, key=lambda p: len(by_post[p]))[-3:]
    for post_id in busiest:
        fields = "id,message,created_time,from,parent"
        served = graph_items(
            fb.get(f"/{post_id}/comments", params={"filter": "stream", "fields": fields, "limit": "100"})
        )
        assert [c["id"] for c in served] == [c["comment_id"] for c in by_post[post_id]]
        for api, expected in zip(served, by_post[post_id], strict=True):
            assert api["message"] == expected["message"] and api["from"]["id"] == expected["author_id"]
            assert api.get("parent", {}).get("id") == expected["parent_id"]


def test_truth_shape_and_content(window_truth: dict) -> None:
    json.dumps(window_truth)  # JSON-serialisable
    assert {a["key"] for a in window_truth["accounts"]} == {"region_main", "region_transports", "region_jeunesse"}
    posts = window_truth["posts"]
    assert all(START.isoformat() <= p["created_at"][:10] <= END.isoformat() for p in posts)
    per_day = defaultdict(int)
    for post in posts:
        per_day[(post["account_id"], post["created_at"][:10])] += 1
    for row in window_truth["account_daily"]:
        assert row["posts_published"] == per_day[(row["account_id"], row["date"])]
    for metric in window_truth["post_metrics"]:
        assert (
            metric["engagements"]
            == metric["reactions_total"] + metric["comments"] + metric["shares"] + metric["clicks"]
        )
        assert metric["reactions_total"] == sum(metric["reactions"].values())
    comments = window_truth["comments"]
    assert any(c["is_question"] for c in comments) and any(c["is_from_page"] for c in comments)
    questions = {c["comment_id"] for c in comments if c["is_question"]}
    assert all(c["parent_id"] in questions for c in comments if c["is_from_page"])


def test_truth_reports_only_the_past(seed: int, today: date) -> None:
    result = truth(seed, today, today - timedelta(days=2), today + timedelta(days=5))
    assert sorted({r["date"] for r in result["account_daily"]}) == [
        (today - timedelta(days=2)).isoformat(),
        (today - timedelta(days=1)).isoformat(),
    ]
    assert all(p["created_at"] < today.isoformat() for p in result["posts"])
    assert all(c["created_at"] < today.isoformat() for c in result["comments"])


def test_two_years_of_history_before_today(fb: httpx.Client, seed: int, today: date) -> None:
    oldest = two_years_before(today)
    result = truth(seed, today, oldest, oldest + timedelta(days=30), platform="facebook")
    assert len(result["account_daily"]) == 3 * 31 and len(result["posts"]) > 30
    params = {"metric": "page_follows", "since": oldest.isoformat(), "until": (oldest + timedelta(days=31)).isoformat()}
    for page in PAGES:
        values = fb.get(f"/{page}/insights", params=params).json()["data"][0]["values"]
        assert len(values) == 31
    since = oldest.isoformat()
    older_posts = fb.get(
        f"/{PAGES[0]}/posts", params={"since": since, "until": (oldest + timedelta(days=7)).isoformat()}
    )
    assert older_posts.json()["data"]


def test_truth_covers_90_days_of_every_account(seed: int, today: date) -> None:
    """(Its speed is a benchmark's business, not a timed test's.)"""
    result = truth(seed, today, today - timedelta(days=90), today - timedelta(days=1))
    assert len(result["account_daily"]) == 90 * len(region.ACCOUNTS)
