"""The Bluesky (AT Protocol AppView) simulator over real HTTP."""

from __future__ import annotations

import time
from datetime import date, timedelta

import httpx
import pytest

from sandbox import region
from sandbox.platforms.bluesky import decode_tid, post_counts, post_rkey, tid
from sandbox.server import serve_in_thread
from sandbox.timeutil import day_start
from sandbox.truth import truth
from tests.sandbox._helpers import add_faults, set_ratelimit

ACCOUNT = region.accounts("bluesky")[0]
DID = ACCOUNT.account_id


@pytest.fixture(scope="module")
def xrpc(shared_sandbox) -> httpx.Client:
    with httpx.Client(base_url=f"{shared_sandbox.platform_url('bluesky')}/xrpc", timeout=10) as client:
        yield client


def error_of(response: httpx.Response, status: int, name: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"} and body["error"] == name
    return body["message"]


def feed(client: httpx.Client, **params) -> list[dict]:
    """Every feed item, following `cursor` as a client would."""
    items, cursor = [], None
    while True:
        body = client.get(
            "/app.bsky.feed.getAuthorFeed", params={"actor": DID, **params, **({"cursor": cursor} if cursor else {})}
        ).json()
        items += body["feed"]
        cursor = body.get("cursor")
        if not cursor:
            return items


def test_tid_round_trip_and_sorting() -> None:
    keys = [tid(1_700_000_000_000_000 + n, n % 1024) for n in range(0, 5000, 37)]
    assert all(len(k) == 13 for k in keys) and keys == sorted(keys)
    assert decode_tid(keys[3]) == (1_700_000_000_000_000 + 111, 111)
    assert decode_tid("not!a!tid") is None


def test_profile(xrpc: httpx.Client, shared_sandbox, today: date) -> None:
    by_did = xrpc.get("/app.bsky.actor.getProfile", params={"actor": DID})
    by_handle = xrpc.get("/app.bsky.actor.getProfile", params={"actor": ACCOUNT.username})
    assert by_did.json() == by_handle.json()
    body = by_did.json()
    assert body["did"] == DID and body["handle"] == ACCOUNT.username and body["displayName"] == ACCOUNT.name
    world = shared_sandbox.state.world
    assert body["followersCount"] == world.followers(ACCOUNT, today - timedelta(days=1))
    assert body["postsCount"] == sum(
        len(world.posts_on(ACCOUNT, d)) for d in (date(2023, 1, 1) + timedelta(days=i) for i in range(1425))
    )
    assert isinstance(body["followsCount"], int) and "viewsCount" not in body
    assert "Profile not found" in error_of(
        xrpc.get("/app.bsky.actor.getProfile", params={"actor": "nobody.bsky.social"}), 400, "InvalidRequest"
    )
    error_of(xrpc.get("/app.bsky.actor.getProfile"), 400, "InvalidRequest")


def test_rate_limit_headers(xrpc: httpx.Client) -> None:
    response = xrpc.get("/app.bsky.actor.getProfile", params={"actor": DID})
    headers = response.headers
    assert int(headers["ratelimit-limit"]) == 3000 and headers["ratelimit-policy"] == "3000;w=300"
    assert 0 <= int(headers["ratelimit-remaining"]) < 3000
    assert int(headers["ratelimit-reset"]) > time.time()


def test_feed_paging_is_complete_newest_first(xrpc: httpx.Client, shared_sandbox, today: date) -> None:
    items = []
    cursor = None
    for _ in range(4):
        params = {"actor": DID, "limit": "7", "filter": "posts_no_replies"}
        body = xrpc.get("/app.bsky.feed.getAuthorFeed", params={**params, **({"cursor": cursor} if cursor else {})})
        body = body.json()
        assert len(body["feed"]) == 7
        items += body["feed"]
        cursor = body["cursor"]
    uris = [i["post"]["uri"] for i in items]
    times = [i["post"]["record"]["createdAt"] for i in items]
    assert len(set(uris)) == 28 and times == sorted(times, reverse=True)
    assert times[0] < today.isoformat()
    world = shared_sandbox.state.world
    oldest = date.fromisoformat(times[-1][:10])
    expected = [
        p
        for p in world.posts_between(ACCOUNT, oldest, today - timedelta(days=1))
        if p.created_at.isoformat() >= times[-1][:19]
    ]
    assert len(expected) == 28


def test_feed_limits_filters_and_cursor_errors(xrpc: httpx.Client) -> None:
    assert len(xrpc.get("/app.bsky.feed.getAuthorFeed", params={"actor": DID}).json()["feed"]) == 50
    assert "greater than 100" in error_of(
        xrpc.get("/app.bsky.feed.getAuthorFeed", params={"actor": DID, "limit": "101"}), 400, "InvalidRequest"
    )
    error_of(xrpc.get("/app.bsky.feed.getAuthorFeed", params={"actor": DID, "filter": "nope"}), 400, "InvalidRequest")
    error_of(xrpc.get("/app.bsky.feed.getAuthorFeed", params={"actor": DID, "cursor": "x"}), 400, "InvalidRequest")
    media = xrpc.get(
        "/app.bsky.feed.getAuthorFeed", params={"actor": DID, "filter": "posts_with_media", "limit": "100"}
    )
    kinds = {i["post"].get("embed", {}).get("$type") for i in media.json()["feed"]}
    assert kinds <= {"app.bsky.embed.images#view", "app.bsky.embed.video#view"} and kinds


def test_post_view_wire_format_and_counts(xrpc: httpx.Client, shared_sandbox, today: date) -> None:
    world = shared_sandbox.state.world
    items = xrpc.get("/app.bsky.feed.getAuthorFeed", params={"actor": DID, "limit": "100"}).json()["feed"]
    embeds = set()
    for item in items:
        view = item["post"]
        assert view["uri"].startswith(f"at://{DID}/app.bsky.feed.post/") and view["cid"].startswith("bafyrei")
        assert view["author"]["did"] == DID and view["record"]["$type"] == "app.bsky.feed.post"
        assert view["record"]["createdAt"].endswith("Z") and view["indexedAt"] > view["record"]["createdAt"]
        embeds.add((view.get("embed") or {}).get("$type"))
        assert "viewCount" not in view and "impressionCount" not in view
    post = next(p for p in world.posts_between(ACCOUNT, today - timedelta(days=5), today - timedelta(days=1)))
    view = next(
        i["post"] for i in items if i["post"]["record"]["createdAt"].startswith(post.created_at.isoformat()[:19])
    )
    counts = post_counts(world, post, today - timedelta(days=1))
    assert {k: view[k] for k in ("likeCount", "repostCount", "quoteCount", "replyCount")} == {
        k: counts[k] for k in ("likeCount", "repostCount", "quoteCount", "replyCount")
    }
    assert embeds >= {"app.bsky.embed.images#view", "app.bsky.embed.external#view", None}


def test_thread_replies_match_the_world(xrpc: httpx.Client, shared_sandbox, today: date) -> None:
    world = shared_sandbox.state.world
    posts = list(world.posts_between(ACCOUNT, date(2026, 10, 1), date(2026, 10, 31)))
    post = max(posts, key=lambda p: sum(c.is_from_page for c in world.comments(p)) + len(world.comments(p)) / 100)
    uri = f"at://{DID}/app.bsky.feed.post/{post_rkey(post)}"
    thread = xrpc.get("/app.bsky.feed.getPostThread", params={"uri": uri, "depth": "10"}).json()["thread"]
    assert thread["$type"] == "app.bsky.feed.defs#threadViewPost" and thread["post"]["uri"] == uri
    flat, stack = [], [(n, uri) for n in thread["replies"]]
    while stack:
        node, parent = stack.pop()
        flat.append((node["post"], parent))
        stack += [(n, node["post"]["uri"]) for n in node.get("replies", [])]
    comments = world.comments_before(post, day_start(today))
    assert len(flat) == len(comments) == post_counts(world, post, today - timedelta(days=1))["threadReplies"]
    assert thread["post"]["replyCount"] == len(thread["replies"])
    own = [v for v, _ in flat if v["author"]["did"] == DID]
    assert own and all(v["record"]["text"].startswith("Bonjour") for v in own)
    for view, parent in flat:
        assert view["record"]["reply"]["parent"]["uri"] == parent and view["record"]["reply"]["root"]["uri"] == uri
        assert view["author"]["did"].startswith("did:plc:") and view["author"]["handle"]
    shallow = xrpc.get("/app.bsky.feed.getPostThread", params={"uri": uri, "depth": "1"}).json()["thread"]
    assert all("replies" not in n for n in shallow["replies"])
    assert "replies" not in xrpc.get("/app.bsky.feed.getPostThread", params={"uri": uri, "depth": "0"}).json()["thread"]


def test_thread_errors(xrpc: httpx.Client) -> None:
    error_of(
        xrpc.get("/app.bsky.feed.getPostThread", params={"uri": f"at://{DID}/app.bsky.feed.post/3zzzzzzzzzzzz"}),
        400,
        "NotFound",
    )
    error_of(
        xrpc.get("/app.bsky.feed.getPostThread", params={"uri": "at://did:plc:other/app.bsky.feed.post/x"}),
        400,
        "NotFound",
    )
    error_of(xrpc.get("/app.bsky.feed.getPostThread"), 400, "InvalidRequest")
    error_of(xrpc.get("/app.bsky.feed.getTimeline"), 501, "MethodNotImplemented")


def test_tokens(shared_sandbox) -> None:
    url = f"{shared_sandbox.platform_url('bluesky')}/xrpc/app.bsky.actor.getProfile"
    params = {"actor": DID}
    assert httpx.get(url, params=params).status_code == 200, "public reads need no token"
    assert httpx.get(url, params=params, headers={"Authorization": "Bearer sandbox-token"}).status_code == 200
    expired = httpx.get(url, params=params, headers={"Authorization": "Bearer sandbox-expired-1"})
    assert error_of(expired, 400, "ExpiredToken") == "Token has expired"
    error_of(httpx.get(url, params=params, headers={"Authorization": "Bearer eyJ.bad"}), 401, "InvalidToken")


def test_faults_in_the_bluesky_dialect(own_sandbox) -> None:
    base = own_sandbox.platform_url("bluesky") + "/xrpc/app.bsky.actor.getProfile"
    add_faults(
        own_sandbox,
        {"platform": "bluesky", "kind": "http_429", "count": 1, "seconds": 5},
        {"platform": "bluesky", "kind": "http_500", "count": 1},
        {"platform": "bluesky", "kind": "expired_token", "count": 1},
    )
    throttled = httpx.get(base, params={"actor": DID})
    assert error_of(throttled, 429, "RateLimitExceeded")
    assert (
        throttled.headers["ratelimit-remaining"] == "0"
        and 3 <= int(throttled.headers["ratelimit-reset"]) - time.time() <= 6
    )
    error_of(httpx.get(base, params={"actor": DID}), 500, "InternalServerError")
    error_of(httpx.get(base, params={"actor": DID}), 400, "ExpiredToken")
    assert httpx.get(base, params={"actor": DID}).status_code == 200


def test_budget_exhaustion_answers_429(own_sandbox) -> None:
    set_ratelimit(own_sandbox, "bluesky", budget=3, window_seconds=60)
    base = own_sandbox.platform_url("bluesky") + "/xrpc/app.bsky.actor.getProfile"
    statuses = [httpx.get(base, params={"actor": DID}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_truth_equals_api(xrpc: httpx.Client, seed: int, today: date) -> None:
    start, end = today - timedelta(days=15), today - timedelta(days=1)
    expected = truth(seed, today, start, end, platform="bluesky")
    params = {"actor": DID, "limit": "100", "filter": "posts_no_replies"}
    items = xrpc.get("/app.bsky.feed.getAuthorFeed", params=params).json()["feed"]
    served = {i["post"]["uri"]: i["post"] for i in items if i["post"]["record"]["createdAt"] >= start.isoformat()}
    assert sorted(served) == sorted(p["post_id"] for p in expected["posts"])
    metrics = {m["post_id"]: m for m in expected["post_metrics"] if m["as_of"] == end.isoformat()}
    replies = 0
    for t in expected["posts"]:
        view = served[t["post_id"]]
        assert view["record"]["text"] == (t["message"] or "")
        assert view["record"]["createdAt"] == t["created_at"].replace("Z", ".000Z")
        m = metrics[t["post_id"]]
        assert view["likeCount"] == m["reactions_total"]
        assert view["repostCount"] + view["quoteCount"] == m["shares"]
        thread = xrpc.get("/app.bsky.feed.getPostThread", params={"uri": t["post_id"], "depth": "100"}).json()
        stack, rkeys = list(thread["thread"].get("replies", [])), []
        while stack:
            node = stack.pop()
            rkeys.append(node["post"]["uri"].rsplit("/", 1)[1])
            stack += node.get("replies", [])
        assert len(rkeys) == m["comments"]
        assert sorted(rkeys) == sorted(c["comment_id"] for c in expected["comments"] if c["post_id"] == t["post_id"])
        replies += len(rkeys)
    assert replies > 0


def test_same_seed_same_bytes(today: date, seed: int) -> None:
    def snapshot(handle) -> list[str]:
        base = f"{handle.platform_url('bluesky')}/xrpc"
        first = httpx.get(f"{base}/app.bsky.feed.getAuthorFeed", params={"actor": DID, "limit": "5"})
        uri = first.json()["feed"][-1]["post"]["uri"]
        thread = httpx.get(f"{base}/app.bsky.feed.getPostThread", params={"uri": uri})
        profile = httpx.get(f"{base}/app.bsky.actor.getProfile", params={"actor": DID})
        return [first.text, thread.text, profile.text]

    with serve_in_thread(seed=seed, today=today) as a, serve_in_thread(seed=seed, today=today) as b:
        assert snapshot(a) == snapshot(b)
