"""The X API v2 simulator over real HTTP: wire format, paging, errors, limits, faults, truth."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import httpx
import pytest

from sandbox import region
from sandbox.platforms.x import XPlatform, x_post_metrics, x_user_profile
from sandbox.server import SandboxHandle, serve_in_thread
from sandbox.timeutil import day_start
from sandbox.truth import truth
from tests.sandbox._helpers import add_faults, set_ratelimit

MAIN, TRANSPORTS = (a.account_id for a in region.accounts("x"))
TWEET_FIELDS = "created_at,public_metrics,non_public_metrics,organic_metrics,promoted_metrics,conversation_id,text"
REPLY_FIELDS = "author_id,created_at,in_reply_to_user_id,conversation_id,text,referenced_tweets"
RATE_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")


def client(handle: SandboxHandle, token: str | None = "sandbox-token") -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"{handle.platform_url('x')}/2", headers=headers, timeout=10)


@pytest.fixture(scope="module")
def xc(shared_sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with client(shared_sandbox) as c:
        yield c


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert {"title", "detail", "type"} <= set(body)
    return body


def timeline(c: httpx.Client, user: str, **params: str) -> tuple[list[dict], int]:
    """Every post of a timeline following meta.next_token, and the number of pages."""
    posts, pages, token = [], 0, None
    while True:
        query = {**params, **({"pagination_token": token} if token else {})}
        body = c.get(f"/users/{user}/tweets", params=query).json()
        pages += 1
        posts += body.get("data", [])
        assert body["meta"]["result_count"] == len(body.get("data", []))
        token = body["meta"].get("next_token")
        if not token:
            return posts, pages


def conversation(c: httpx.Client, post_id: str, endpoint: str = "recent", **params: str) -> list[dict]:
    replies, token = [], None
    while True:
        query = {"query": f"conversation_id:{post_id}", "tweet.fields": REPLY_FIELDS, **params}
        body = c.get(f"/tweets/search/{endpoint}", params={**query, **({"next_token": token} if token else {})})
        assert body.status_code == 200, body.text
        replies += body.json().get("data", [])
        token = body.json()["meta"].get("next_token")
        if not token:
            return replies


# -- users -------------------------------------------------------------------------------


def test_user_lookup_public_metrics(xc: httpx.Client, shared_sandbox: SandboxHandle, today: date) -> None:
    response = xc.get(f"/users/{MAIN}", params={"user.fields": "public_metrics,created_at,username,name"})
    data = response.json()["data"]
    assert set(data) == {"id", "name", "username", "public_metrics", "created_at"}
    assert (data["id"], data["username"]) == (MAIN, "RegionValdArgent")
    account = region.account_by_id("x", MAIN)
    world = shared_sandbox.state.world
    profile = x_user_profile(world, account, today - timedelta(days=1))
    assert data["public_metrics"] == {
        "followers_count": world.followers(account, today - timedelta(days=1)),
        "following_count": profile.following_count,
        "tweet_count": profile.tweet_count,
        "listed_count": profile.listed_count,
    }
    assert data["created_at"].endswith(".000Z")
    assert xc.get(f"/users/{TRANSPORTS}").json() == {
        "data": {"id": TRANSPORTS, "name": "Val-d'Argent Mobilités", "username": "ValdArgentMobi"}
    }
    assert xc.get("/users/by/username/valdargentmobi").json()["data"]["id"] == TRANSPORTS
    t = truth(seed=42, today=today, start=today - timedelta(days=1), end=today - timedelta(days=1), platform="x")
    followers = {r["account_id"]: r["followers"] for r in t["account_daily"]}
    assert data["public_metrics"]["followers_count"] == followers[MAIN]


def test_unknown_user_and_invalid_parameters(xc: httpx.Client) -> None:
    body = xc.get("/users/12345").json()
    assert "data" not in body
    (error,) = body["errors"]
    assert error["type"] == "https://api.x.com/2/problems/resource-not-found"
    assert error["detail"] == "Could not find user with id: [12345]."
    body = problem(xc.get("/users/not-a-number"), 400)
    assert body["type"] == "https://api.x.com/2/problems/invalid-request"
    body = problem(xc.get(f"/users/{MAIN}", params={"user.fields": "public_metrics,followers"}), 400)
    assert "[followers] is not one of" in body["errors"][0]["message"]
    for value in ("4", "101", "abc"):
        body = problem(xc.get(f"/users/{MAIN}/tweets", params={"max_results": value}), 400)
        assert body["errors"][0]["parameters"] == {"max_results": [value]}
    problem(xc.get(f"/users/{MAIN}/tweets", params={"pagination_token": "zzzz"}), 400)
    problem(xc.get(f"/users/{MAIN}/tweets", params={"start_time": "yesterday"}), 400)
    assert problem(xc.get("/users/1/likes"), 404)["status"] == 404


# -- timelines ------------------------------------------------------------------------------


def test_timeline_paging_covers_every_post_once_newest_first(xc: httpx.Client, shared_sandbox, today: date) -> None:
    world = shared_sandbox.state.world
    for account in region.accounts("x"):
        served, pages = timeline(
            xc,
            account.account_id,
            max_results="7",
            start_time="2026-10-01T00:00:00Z",
            end_time="2026-10-20T23:59:59Z",
        )
        expected = [XPlatform.post_id(p) for p in world.posts_between(account, date(2026, 10, 1), date(2026, 10, 20))]
        ids = [p["id"] for p in served]
        assert len(ids) == len(set(ids)) and sorted(ids) == sorted(expected) and pages == -(-len(ids) // 7)
        assert ids == sorted(ids, key=int, reverse=True), "newest first (snowflakes sort by time)"
        created = [p.get("created_at") for p in served]
        assert created == [None] * len(ids), "created_at only when asked for"
    t = truth(seed=42, today=today, start="2026-10-01", end="2026-10-20", platform="x")
    truth_ids = {p["post_id"] for p in t["posts"]}
    all_served = {
        p["id"]
        for a in (MAIN, TRANSPORTS)
        for p in timeline(xc, a, max_results="100", start_time="2026-10-01T00:00:00Z", end_time="2026-10-20T23:59:59Z")[
            0
        ]
    }
    assert all_served == truth_ids


def test_timeline_meta_defaults_and_bounds(xc: httpx.Client, today: date) -> None:
    body = xc.get(f"/users/{TRANSPORTS}/tweets").json()
    assert len(body["data"]) == 10 and set(body["data"][0]) == {"id", "text", "edit_history_tweet_ids"}
    meta = body["meta"]
    assert meta["newest_id"] == body["data"][0]["id"] and meta["oldest_id"] == body["data"][-1]["id"]
    assert meta["next_token"] and meta["result_count"] == 10
    newest = xc.get(f"/users/{TRANSPORTS}/tweets", params={"tweet.fields": "created_at", "max_results": "5"}).json()
    assert all(p["created_at"] < f"{today.isoformat()}T" for p in newest["data"]), "nothing from today exists yet"
    # start_time and end_time are inclusive at second granularity
    first = newest["data"][-1]
    at = first["created_at"].replace(".000Z", "Z")
    exact = xc.get(f"/users/{TRANSPORTS}/tweets", params={"start_time": at, "end_time": at}).json()
    assert [p["id"] for p in exact["data"]] == [first["id"]]
    empty = xc.get(f"/users/{TRANSPORTS}/tweets", params={"end_time": "2022-12-31T00:00:00Z"}).json()
    assert empty == {"meta": {"result_count": 0}}
    since = xc.get(f"/users/{TRANSPORTS}/tweets", params={"since_id": newest["data"][2]["id"]}).json()
    assert [p["id"] for p in since["data"]] == [p["id"] for p in newest["data"][:2]]


def test_timeline_reaches_only_the_3200_most_recent_posts(xc: httpx.Client, shared_sandbox, today: date) -> None:
    account = region.account_by_id("x", TRANSPORTS)
    world = shared_sandbox.state.world
    posts = [
        p
        for d in range((today - date(2023, 1, 1)).days)
        for p in world.posts_on(account, today - timedelta(days=d + 1))
    ]
    posts.sort(key=lambda p: p.created_at, reverse=True)
    assert len(posts) > 3200
    last_kept, first_dropped = posts[3199], posts[3200]
    window = {
        "start_time": first_dropped.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_time": last_kept.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "max_results": "100",
    }
    served = xc.get(f"/users/{TRANSPORTS}/tweets", params=window).json()
    ids = [p["id"] for p in served.get("data", [])]
    assert XPlatform.post_id(last_kept) in ids and XPlatform.post_id(first_dropped) not in ids


def test_post_metrics_reconcile_with_truth(xc: httpx.Client, shared_sandbox, today: date) -> None:
    as_of = today - timedelta(days=1)
    start = today - timedelta(days=20)
    t = truth(seed=42, today=today, start=start, end=as_of, platform="x", metrics_lookback_days=0)
    expected = {(m["post_id"]): m for m in t["post_metrics"] if m["as_of"] == as_of.isoformat()}
    sponsored = {p["post_id"] for p in t["posts"] if p["is_sponsored"]}
    served = [
        p
        for a in (MAIN, TRANSPORTS)
        for p in timeline(
            xc, a, max_results="100", start_time=f"{start.isoformat()}T00:00:00Z", **{"tweet.fields": TWEET_FIELDS}
        )[0]
    ]
    assert {p["id"] for p in served} == set(expected) and sponsored
    for post in served:
        m, public = expected[post["id"]], post["public_metrics"]
        assert public["impression_count"] == m["views"]
        assert public["like_count"] == m["reactions_total"]
        assert public["retweet_count"] + public["quote_count"] == m["shares"]
        assert public["reply_count"] == m["comments"]
        assert post["non_public_metrics"]["url_link_clicks"] == m["clicks"]
        assert post["non_public_metrics"]["impression_count"] == m["views"]
        organic, promoted = post["organic_metrics"], post.get("promoted_metrics")
        assert ("promoted_metrics" in post) == (post["id"] in sponsored)
        assert organic["impression_count"] == m["views"] - m["views_paid"]
        for name, value in organic.items():
            assert value + (promoted or {}).get(name, 0) == (
                post["non_public_metrics"][name] if name in ("url_link_clicks", "user_profile_clicks") else public[name]
            ), name
        assert post["conversation_id"] == post["id"]
    # the derived counters are the pure function's
    account = region.account_by_id("x", MAIN)
    world_post = next(iter(shared_sandbox.state.world.posts_between(account, start, as_of)))
    derived = x_post_metrics(shared_sandbox.state.world, world_post, as_of)
    served_one = next(p for p in served if p["id"] == XPlatform.post_id(world_post))
    assert served_one["public_metrics"]["bookmark_count"] == derived.bookmarks


def test_private_metrics_only_for_the_last_30_days(xc: httpx.Client, today: date) -> None:
    served, _ = timeline(
        xc,
        MAIN,
        max_results="100",
        start_time=f"{(today - timedelta(days=40)).isoformat()}T00:00:00Z",
        **{"tweet.fields": TWEET_FIELDS},
    )
    limit = day_start(today) - timedelta(days=30)
    young = [p for p in served if datetime.fromisoformat(p["created_at"].replace("Z", "+00:00")) >= limit]
    old = [p for p in served if p not in young]
    assert young and old
    assert all("non_public_metrics" in p and "organic_metrics" in p for p in young)
    assert all(not {"non_public_metrics", "organic_metrics", "promoted_metrics"} & set(p) for p in old)
    assert all("public_metrics" in p for p in old)


def test_media_expansion_and_link_entities(xc: httpx.Client) -> None:
    params = {
        "max_results": "100",
        "tweet.fields": "attachments,entities",
        "expansions": "attachments.media_keys",
        "media.fields": "type",
        "start_time": "2026-09-01T00:00:00Z",
        "end_time": "2026-09-30T23:59:59Z",
    }
    body = xc.get(f"/users/{MAIN}/tweets", params=params).json()
    media = {m["media_key"]: m["type"] for m in body["includes"]["media"]}
    assert set(media.values()) == {"photo", "video"}
    keys = [k for p in body["data"] for k in p.get("attachments", {}).get("media_keys", [])]
    assert set(keys) == set(media)
    links = [p for p in body["data"] if "entities" in p]
    assert links and all(
        p["entities"]["urls"][0]["expanded_url"].startswith("https://www.region-valdargent.fr/") for p in links
    )
    assert not any("reel" in v for v in media.values())


# -- replies --------------------------------------------------------------------------------


def test_conversation_search_reconciles_with_truth(xc: httpx.Client, shared_sandbox, today: date) -> None:
    day = today - timedelta(days=3)
    t = truth(seed=42, today=today, start=day, end=today - timedelta(days=1), platform="x")
    post = max(t["posts"], key=lambda p: sum(c["post_id"] == p["post_id"] for c in t["comments"]))
    expected = [c for c in t["comments"] if c["post_id"] == post["post_id"]]
    replies = conversation(xc, post["post_id"], max_results="10")
    assert len(expected) > 10, "needs several pages"
    assert sorted(r["id"] for r in replies) == sorted(c["comment_id"] for c in expected)
    assert [r["created_at"] for r in replies] == sorted((r["created_at"] for r in replies), reverse=True)
    by_id = {c["comment_id"]: c for c in expected}
    for reply in replies:
        c = by_id[reply["id"]]
        assert reply["author_id"] == c["author_id"] and reply["text"] == c["message"]
        assert reply["conversation_id"] == post["post_id"]
        (ref,) = reply["referenced_tweets"]
        assert ref == {"type": "replied_to", "id": c["parent_id"] or post["post_id"]}
        if c["parent_id"] is None:
            assert reply["in_reply_to_user_id"] == post["account_id"]
    own = [r for r in replies if r["author_id"] == post["account_id"]]
    assert all(by_id[r["id"]]["is_from_page"] for r in own)
    counts = xc.get(
        f"/users/{post['account_id']}/tweets",
        params={"tweet.fields": "public_metrics", "max_results": "100", "start_time": f"{day.isoformat()}T00:00:00Z"},
    ).json()
    served = next(p for p in counts["data"] if p["id"] == post["post_id"])
    assert served["public_metrics"]["reply_count"] == len(replies)


def test_recent_search_is_seven_days_and_full_archive_serves_older(xc: httpx.Client, today: date) -> None:
    old_day = today - timedelta(days=20)
    t = truth(seed=42, today=today, start=old_day, end=old_day + timedelta(days=3), platform="x")
    of_the_day = [p for p in t["posts"] if p["created_at"].startswith(old_day.isoformat())]
    post = max(of_the_day, key=lambda p: sum(c["post_id"] == p["post_id"] for c in t["comments"]))
    expected = sorted(c["comment_id"] for c in t["comments"] if c["post_id"] == post["post_id"])
    start = post["created_at"]
    body = problem(
        xc.get("/tweets/search/recent", params={"query": f"conversation_id:{post['post_id']}", "start_time": start}),
        400,
    )
    assert "'start_time' must be on or after" in body["errors"][0]["message"]
    recent = xc.get("/tweets/search/recent", params={"query": f"conversation_id:{post['post_id']}"}).json()
    assert recent == {"meta": {"result_count": 0}}, "outside the 7-day window, without start_time"
    replies = conversation(xc, post["post_id"], "all", start_time=start, max_results="500")
    assert sorted(r["id"] for r in replies) == expected
    older = truth(seed=42, today=today, start=today - timedelta(days=45), end=today - timedelta(days=45), platform="x")
    post = next(p for p in older["posts"] if any(c["post_id"] == p["post_id"] for c in older["comments"]))
    assert conversation(xc, post["post_id"], "all") == [], "search/all defaults to the last 30 days"
    assert conversation(xc, post["post_id"], "all", start_time=post["created_at"])
    for bad in ("from:RegionValdArgent", "conversation_id:1 conversation_id:2"):
        problem(xc.get("/tweets/search/recent", params={"query": bad}), 400)
    problem(xc.get("/tweets/search/recent", params={"query": "conversation_id:1", "max_results": "101"}), 400)


def test_one_search_answers_several_conversations(xc: httpx.Client, today: date) -> None:
    t = truth(seed=42, today=today, start=today - timedelta(days=3), end=today - timedelta(days=1), platform="x")
    posts = [p["post_id"] for p in t["posts"] if any(c["post_id"] == p["post_id"] for c in t["comments"])][:5]
    query = " OR ".join(f"conversation_id:{p}" for p in posts)
    replies = conversation(xc, query.removeprefix("conversation_id:"), max_results="100")
    expected = {c["comment_id"]: c["post_id"] for c in t["comments"] if c["post_id"] in posts}
    assert {r["id"]: r["conversation_id"] for r in replies} == expected
    times = [r["created_at"] for r in replies]
    assert times == sorted(times, reverse=True), "newest first across conversations"
    paged = conversation(xc, query.removeprefix("conversation_id:"), max_results="10")
    assert [r["id"] for r in paged] == [r["id"] for r in replies]
    too_long = " OR ".join(["conversation_id:1234567890123456789"] * 14)
    assert len(too_long) > 512
    problem(xc.get("/tweets/search/recent", params={"query": too_long}), 400)
    assert xc.get("/tweets/search/all", params={"query": too_long}).status_code == 200


# -- tokens, limits, faults ------------------------------------------------------------------


def test_tokens(shared_sandbox: SandboxHandle) -> None:
    for token in (None, "sandbox-expired-2h", "AAAA-not-ours"):
        with client(shared_sandbox, token) as c:
            response = c.get(f"/users/{MAIN}")
            assert problem(response, 401) == {
                "title": "Unauthorized",
                "detail": "Unauthorized",
                "type": "about:blank",
                "status": 401,
            }
            assert all(h in response.headers for h in RATE_HEADERS)
    with client(shared_sandbox, "sandbox-app-token") as app:
        assert app.get(f"/users/{MAIN}/tweets", params={"tweet.fields": "public_metrics"}).status_code == 200
        body = problem(app.get(f"/users/{MAIN}/tweets", params={"tweet.fields": "non_public_metrics"}), 403)
        assert body["type"] == "https://api.x.com/2/problems/unsupported-authentication"


def test_rate_limit_headers_and_429(own_sandbox: SandboxHandle) -> None:
    set_ratelimit(own_sandbox, "x", budgets={"users": 3})
    with client(own_sandbox) as c:
        remaining = []
        for _ in range(3):
            response = c.get(f"/users/{MAIN}")
            assert response.status_code == 200
            remaining.append(int(response.headers["x-rate-limit-remaining"]))
            assert response.headers["x-rate-limit-limit"] == "3"
            assert time.time() < int(response.headers["x-rate-limit-reset"]) <= time.time() + 901
        assert remaining == [2, 1, 0]
        throttled = c.get(f"/users/{TRANSPORTS}")
        assert throttled.status_code == 429
        assert throttled.json() == {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        }
        assert throttled.headers["x-rate-limit-remaining"] == "0"
        other = c.get(f"/users/{MAIN}/tweets")  # another endpoint, another budget
        assert other.status_code == 200 and other.headers["x-rate-limit-limit"] == "900"


def test_budget_recovers_after_the_window(own_sandbox: SandboxHandle) -> None:
    # a window long enough that a loaded CI machine sends the second call inside it
    set_ratelimit(own_sandbox, "x", budget=1, window_seconds=3, reset=True)
    with client(own_sandbox) as c:
        assert c.get(f"/users/{MAIN}").status_code == 200
        assert c.get(f"/users/{MAIN}").status_code == 429
        time.sleep(3.1)
        assert c.get(f"/users/{MAIN}").status_code == 200


def test_faults_in_x_dialect(own_sandbox: SandboxHandle) -> None:
    add_faults(
        own_sandbox,
        {"platform": "x", "kind": "http_429", "count": 1, "seconds": 30, "path": "/tweets"},
        {"platform": "x", "kind": "http_500", "count": 1, "path": "/users/"},
        {"platform": "x", "kind": "expired_token", "count": 1, "path": "/search/"},
    )
    with client(own_sandbox) as c:
        throttled = c.get(f"/users/{MAIN}/tweets")
        assert problem(throttled, 429)["title"] == "Too Many Requests"
        assert throttled.headers["x-rate-limit-remaining"] == "0"
        assert 25 <= int(throttled.headers["x-rate-limit-reset"]) - time.time() <= 31
        assert problem(c.get(f"/users/{MAIN}"), 500)["title"] == "Internal Server Error"
        assert problem(c.get("/tweets/search/recent", params={"query": "conversation_id:1"}), 401)["status"] == 401
        assert c.get(f"/users/{MAIN}").status_code == 200


# -- determinism ------------------------------------------------------------------------------


def _snapshot(handle: SandboxHandle) -> list[str]:
    with client(handle) as c:
        posts = c.get(f"/users/{MAIN}/tweets", params={"tweet.fields": TWEET_FIELDS, "max_results": "20"})
        post = posts.json()["data"][5]["id"]
        return [
            c.get(f"/users/{MAIN}", params={"user.fields": "public_metrics"}).text,
            posts.text,
            c.get(
                "/tweets/search/recent", params={"query": f"conversation_id:{post}", "tweet.fields": REPLY_FIELDS}
            ).text,
        ]


def test_same_seed_same_answers(today: date, seed: int) -> None:
    with serve_in_thread(seed=seed, today=today) as a, serve_in_thread(seed=seed, today=today) as b:
        assert _snapshot(a) == _snapshot(b)
    with serve_in_thread(seed=seed + 1, today=today) as other, serve_in_thread(seed=seed, today=today) as a:
        assert _snapshot(other)[1] != _snapshot(a)[1]
