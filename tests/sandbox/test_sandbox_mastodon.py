"""The Mastodon REST API simulator over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from sandbox import region
from sandbox.platforms.mastodon import content_html, status_counts, status_id
from sandbox.server import serve_in_thread
from sandbox.timeutil import day_start
from sandbox.truth import truth
from tests.sandbox._helpers import add_faults, set_ratelimit

MAIN, TRANSPORTS = region.accounts("mastodon")


@pytest.fixture(scope="module")
def api(shared_sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{shared_sandbox.platform_url('mastodon')}/api/v1", timeout=10) as client:
        yield client


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]


def statuses(client: httpx.Client, account_id: str, pages: int, **params) -> list[dict]:
    """Follow rel="next" for `pages` pages, as Mastodon asks clients to."""
    response = client.get(f"/accounts/{account_id}/statuses", params=params)
    items: list[dict] = []
    for _ in range(pages):
        assert response.status_code == 200, response.text
        items += response.json()
        if "next" not in response.links:
            break
        response = client.get(response.links["next"]["url"])
    return items


def test_lookup_and_account(api: httpx.Client, shared_sandbox, today: date) -> None:
    for acct in ("valdargent", "valdargent@social.valdargent.fr", "@valdargent"):
        assert api.get("/accounts/lookup", params={"acct": acct}).json()["id"] == MAIN.account_id
    body = api.get(f"/accounts/{MAIN.account_id}").json()
    world = shared_sandbox.state.world
    assert body["followers_count"] == world.followers(MAIN, today - timedelta(days=1))
    assert body["acct"] == "valdargent" and body["url"] == "https://social.valdargent.fr/@valdargent"
    assert isinstance(body["following_count"], int) and isinstance(body["statuses_count"], int)
    newest = api.get(f"/accounts/{MAIN.account_id}/statuses", params={"limit": "1"}).json()[0]
    assert body["last_status_at"] == newest["created_at"][:10]
    assert error_of(api.get("/accounts/lookup", params={"acct": "nobody"}), 404) == "Record not found"
    assert error_of(api.get("/accounts/lookup", params={"acct": "valdargent@mastodon.social"}), 404)
    assert error_of(api.get("/accounts/42"), 404) == "Record not found"


def test_rate_limit_headers(api: httpx.Client) -> None:
    headers = api.get(f"/accounts/{MAIN.account_id}").headers
    assert headers["X-RateLimit-Limit"] == "300" and 0 <= int(headers["X-RateLimit-Remaining"]) < 300
    reset = datetime.fromisoformat(headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    assert datetime.now(UTC) < reset <= datetime.now(UTC) + timedelta(seconds=301)


def test_link_header_paging_is_complete_newest_first(api: httpx.Client, shared_sandbox, today: date) -> None:
    items = statuses(api, TRANSPORTS.account_id, pages=6, limit="5", exclude_replies="true")
    ids = [s["id"] for s in items]
    assert len(ids) == len(set(ids)) == 30
    assert [int(i) for i in ids] == sorted((int(i) for i in ids), reverse=True)
    times = [s["created_at"] for s in items]
    assert times == sorted(times, reverse=True) and times[0] < today.isoformat()
    world = shared_sandbox.state.world
    oldest = date.fromisoformat(times[-1][:10])
    expected = [
        status_id(p)
        for p in world.posts_between(TRANSPORTS, oldest, today - timedelta(days=1))
        if p.created_at.strftime("%Y-%m-%dT%H:%M:%S") >= times[-1][:19]
    ]
    assert sorted(expected) == sorted(ids)


def test_limits_and_min_id(api: httpx.Client) -> None:
    assert len(api.get(f"/accounts/{MAIN.account_id}/statuses").json()) == 20
    assert len(api.get(f"/accounts/{MAIN.account_id}/statuses", params={"limit": "500"}).json()) == 40
    first = api.get(f"/accounts/{MAIN.account_id}/statuses", params={"limit": "10"})
    ten = first.json()
    newer = api.get(f"/accounts/{MAIN.account_id}/statuses", params={"limit": "3", "min_id": ten[5]["id"]}).json()
    assert [s["id"] for s in newer] == [s["id"] for s in ten[2:5]]
    prev = first.links["prev"]["url"]
    assert f"min_id={ten[0]['id']}" in prev and api.get(prev).json() == []
    since = api.get(f"/accounts/{MAIN.account_id}/statuses", params={"since_id": ten[3]["id"]}).json()
    assert [s["id"] for s in since] == [s["id"] for s in ten[:3]]
    media = api.get(f"/accounts/{MAIN.account_id}/statuses", params={"only_media": "true", "limit": "40"}).json()
    assert media and all(s["media_attachments"] for s in media)
    assert api.get(f"/accounts/{MAIN.account_id}/statuses", params={"pinned": "true"}).json() == []


def test_status_wire_format_and_counts(api: httpx.Client, shared_sandbox, today: date) -> None:
    world = shared_sandbox.state.world
    items = api.get(f"/accounts/{MAIN.account_id}/statuses", params={"limit": "40"}).json()
    kinds = set()
    for status in items:
        assert status["account"]["id"] == MAIN.account_id and status["visibility"] == "public"
        assert status["content"].startswith("<p>") and status["in_reply_to_id"] is None
        assert status["url"] == f"https://social.valdargent.fr/@valdargent/{status['id']}"
        assert "views_count" not in status
        kinds.add(tuple(m["type"] for m in status["media_attachments"]) or ("card" if status["card"] else "text"))
    assert {("image",), "card", "text"} <= kinds
    post = next(iter(world.posts_between(MAIN, today - timedelta(days=6), today - timedelta(days=1))))
    single = api.get(f"/statuses/{status_id(post)}").json()
    counts = status_counts(world, post, today - timedelta(days=1))
    for field in ("favourites_count", "reblogs_count", "replies_count"):
        assert single[field] == counts[field]
    assert single == next(s for s in items if s["id"] == single["id"])


def test_content_html_round_trips_through_a_text_extractor() -> None:
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.text = ""

        def handle_data(self, data: str) -> None:
            self.text += data

    message = "L'Argent & co <ok> https://www.region-valdargent.fr/x/1 #Vacances"
    parser = Text()
    parser.feed(content_html(message))
    assert parser.text == message
    assert 'class="mention hashtag"' in content_html(message) and "&#x27;" in content_html(message)


def test_context_descendants_match_the_world(api: httpx.Client, shared_sandbox, today: date) -> None:
    world = shared_sandbox.state.world
    posts = list(world.posts_between(TRANSPORTS, date(2026, 10, 1), date(2026, 10, 31)))
    post = max(posts, key=lambda p: sum(c.is_from_page for c in world.comments(p)) + len(world.comments(p)) / 100)
    root = status_id(post)
    body = api.get(f"/statuses/{root}/context").json()
    assert body["ancestors"] == []
    descendants = body["descendants"]
    comments = world.comments_before(post, day_start(today))
    assert len(descendants) == len(comments) == status_counts(world, post, today - timedelta(days=1))["descendants"]
    ids = {root} | {d["id"] for d in descendants}
    position = {d["id"]: i for i, d in enumerate(descendants)}
    for d in descendants:
        assert d["in_reply_to_id"] in ids and d["content"].startswith('<p><span class="h-card"')
        if d["in_reply_to_id"] != root:
            assert position[d["in_reply_to_id"]] < position[d["id"]], "thread order: parents first"
        (mention,) = d["mentions"]
        assert mention["id"] == d["in_reply_to_account_id"]
    own = [d for d in descendants if d["account"]["id"] == TRANSPORTS.account_id]
    assert own and all(d["in_reply_to_id"] != root for d in own)
    remote = [d for d in descendants if "@" in d["account"]["acct"]]
    assert remote, "commenters from other instances"
    top = sum(1 for d in descendants if d["in_reply_to_id"] == root)
    assert api.get(f"/statuses/{root}").json()["replies_count"] == top
    assert error_of(api.get(f"/statuses/{own[0]['id']}/context"), 404)
    assert error_of(api.get("/statuses/12345/context"), 404)


def test_tokens_and_errors(shared_sandbox) -> None:
    url = f"{shared_sandbox.platform_url('mastodon')}/api/v1/accounts/{MAIN.account_id}"
    assert httpx.get(url).status_code == 200, "public data needs no token"
    assert httpx.get(url, headers={"Authorization": "Bearer sandbox-token"}).status_code == 200
    for token in ("sandbox-expired-1", "revoked"):
        response = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
        assert error_of(response, 401) == "The access token is invalid"
    assert error_of(httpx.get(f"{shared_sandbox.platform_url('mastodon')}/api/v2/search"), 404)


def test_faults_in_the_mastodon_dialect(own_sandbox) -> None:
    url = f"{own_sandbox.platform_url('mastodon')}/api/v1/accounts/{MAIN.account_id}"
    add_faults(
        own_sandbox,
        {"platform": "mastodon", "kind": "http_429", "count": 1, "seconds": 5},
        {"platform": "mastodon", "kind": "http_500", "count": 1},
        {"platform": "mastodon", "kind": "expired_token", "count": 1},
    )
    throttled = httpx.get(url)
    assert error_of(throttled, 429) == "Too many requests"
    assert throttled.headers["X-RateLimit-Remaining"] == "0"
    reset = datetime.fromisoformat(throttled.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    assert 3 <= (reset - datetime.now(UTC)).total_seconds() <= 6
    broken = httpx.get(url)
    assert broken.status_code == 500 and broken.headers["content-type"].startswith("text/html")
    assert error_of(httpx.get(url), 401) == "The access token is invalid"
    assert httpx.get(url).status_code == 200


def test_budget_exhaustion_answers_429(own_sandbox) -> None:
    set_ratelimit(own_sandbox, "mastodon", budget=2, window_seconds=60)
    url = f"{own_sandbox.platform_url('mastodon')}/api/v1/accounts/{MAIN.account_id}"
    assert [httpx.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_truth_equals_api(api: httpx.Client, seed: int, today: date) -> None:
    start, end = today - timedelta(days=12), today - timedelta(days=1)
    expected = truth(seed, today, start, end, platform="mastodon")
    assert {a["account_id"] for a in expected["accounts"]} == {MAIN.account_id, TRANSPORTS.account_id}
    metrics = {m["post_id"]: m for m in expected["post_metrics"] if m["as_of"] == end.isoformat()}
    total = 0
    for account in (MAIN, TRANSPORTS):
        served = {
            s["id"]: s
            for s in api.get(f"/accounts/{account.account_id}/statuses", params={"limit": "40"}).json()
            if s["created_at"] >= start.isoformat()
        }
        mine = [p for p in expected["posts"] if p["account_id"] == account.account_id]
        assert sorted(served) == sorted(p["post_id"] for p in mine)
        for t in mine:
            status = served[t["post_id"]]
            assert status["created_at"] == t["created_at"].replace("Z", ".000Z") and status["url"] == t["permalink_url"]
            m = metrics[t["post_id"]]
            assert (status["favourites_count"], status["reblogs_count"]) == (m["reactions_total"], m["shares"])
            descendants = api.get(f"/statuses/{t['post_id']}/context").json()["descendants"]
            assert len(descendants) == m["comments"]
            truth_comments = {c["comment_id"]: c for c in expected["comments"] if c["post_id"] == t["post_id"]}
            assert sorted(d["id"] for d in descendants) == sorted(truth_comments)
            for d in descendants:
                parent = truth_comments[d["id"]]["parent_id"]
                assert d["in_reply_to_id"] == (parent or t["post_id"])
            total += len(descendants)
    assert total > 0


def test_same_seed_same_bytes(today: date, seed: int) -> None:
    def snapshot(handle) -> list[str]:
        base = f"{handle.platform_url('mastodon')}/api/v1"
        listing = httpx.get(f"{base}/accounts/{MAIN.account_id}/statuses", params={"limit": "5"})
        context = httpx.get(f"{base}/statuses/{listing.json()[-1]['id']}/context")
        return [listing.text.replace(str(handle.port), "PORT"), context.text]

    with serve_in_thread(seed=seed, today=today) as a, serve_in_thread(seed=seed, today=today) as b:
        assert snapshot(a) == snapshot(b)
