"""The LinkedIn Community Management API simulator over real HTTP: wire format, paging, errors, truth."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from sandbox import region
from sandbox.platforms.linkedin import (
    follower_gains,
    parse_restli,
    post_share_statistics,
    share_statistics_day,
)
from sandbox.server import SandboxHandle
from sandbox.truth import truth
from tests.sandbox._helpers import add_faults, set_ratelimit

ACCOUNTS = region.accounts("linkedin")
MAIN, TRANSPORTS = ACCOUNTS
HEADERS = {
    "Authorization": "Bearer sandbox-token",
    "Linkedin-Version": "202609",
    "X-Restli-Protocol-Version": "2.0.0",
}
DAY_MS = 86_400_000


def org(account: region.Account) -> str:
    return f"urn:li:organization:{account.account_id}"


def enc(urn: str) -> str:
    return quote(urn, safe="")


def ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def intervals(first: date, last: date) -> str:
    """A Rest.li DAY timeIntervals value covering first..last (inclusive), URL-ready."""
    return f"(timeRange:(start:{ms(first)},end:{ms(last + timedelta(days=1))}),timeGranularityType:DAY)"


@pytest.fixture(scope="module")
def li(shared_sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{shared_sandbox.platform_url('linkedin')}/rest", headers=HEADERS, timeout=10) as c:
        yield c


def get(client: httpx.Client, path: str, query: str = "", **headers: str) -> httpx.Response:
    """GET with a hand-built query string: Rest.li structure must not be form-encoded."""
    url = f"{path}?{query}" if query else path
    return client.get(url, headers=headers or None)


def error_of(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and "message" in body and "code" in body
    return body


def all_posts(client: httpx.Client, account: region.Account, count: int, limit: int | None = None) -> list[dict]:
    start, posts = 0, []
    while True:
        body = get(client, "posts", f"q=author&author={enc(org(account))}&sortBy=CREATED&start={start}&count={count}")
        body.raise_for_status()
        data = body.json()
        assert data["paging"]["start"] == start and data["paging"]["count"] == count
        posts += data["elements"]
        start += len(data["elements"])
        if not data["elements"] or start >= data["paging"]["total"] or (limit and start >= limit):
            return posts


# -- Rest.li --------------------------------------------------------------------------------


def test_restli_values_parse() -> None:
    value = parse_restli("(timeRange:(start:1,end:2),timeGranularityType:DAY)")
    assert value == {"timeRange": {"start": "1", "end": "2"}, "timeGranularityType": "DAY"}
    assert parse_restli("List(urn:li:share:1,urn:li:share:2)") == ["urn:li:share:1", "urn:li:share:2"]
    assert parse_restli("urn:li:organization:5") == "urn:li:organization:5"
    assert parse_restli("List()") == []
    with pytest.raises(ValueError):
        parse_restli("(timeRange:(start:1")


# -- headers, auth, versions ------------------------------------------------------------------


def test_required_headers(li: httpx.Client, shared_sandbox: SandboxHandle) -> None:
    path = f"networkSizes/{enc(org(MAIN))}"
    query = "edgeType=COMPANY_FOLLOWED_BY_MEMBER"
    no_version = httpx.get(
        f"{shared_sandbox.platform_url('linkedin')}/rest/{path}?{query}",
        headers={"Authorization": "Bearer sandbox-token", "X-Restli-Protocol-Version": "2.0.0"},
    )
    assert error_of(no_version, 400)["code"] == "VERSION_MISSING"
    assert error_of(get(li, path, query, **{"Linkedin-Version": "202511"}), 426)["code"] == "NONEXISTENT_VERSION"
    assert error_of(get(li, path, query, **{"Linkedin-Version": "2026-09"}), 400)["code"] == "INVALID_VERSION"
    assert error_of(get(li, path, query, **{"X-Restli-Protocol-Version": "1.0.0"}), 400)
    assert get(li, path, query).status_code == 200


@pytest.mark.parametrize(
    ("token", "code", "service"),
    [
        ("sandbox-expired-1", "EXPIRED_ACCESS_TOKEN", 65601),
        ("sandbox-revoked", "REVOKED_ACCESS_TOKEN", 65602),
        ("nonsense", "INVALID_ACCESS_TOKEN", 65600),
    ],
)
def test_token_errors_are_401(li: httpx.Client, token: str, code: str, service: int) -> None:
    response = get(li, f"organizations/{MAIN.account_id}", Authorization=f"Bearer {token}")
    body = error_of(response, 401)
    assert body["code"] == code and body["serviceErrorCode"] == service


def test_introspection(shared_sandbox: SandboxHandle, today: date) -> None:
    url = f"{shared_sandbox.platform_url('linkedin')}/oauth/v2/introspectToken"
    live = httpx.post(url, data={"token": "sandbox-token"}).json()
    assert live["active"] is True and live["status"] == "active"
    assert live["expires_at"] - live["authorized_at"] == 60 * 86400
    assert live["authorized_at"] < ms(today) // 1000 < live["expires_at"]
    assert httpx.post(url, data={"token": "sandbox-expired-x"}).json() == {"active": False, "status": "expired"}
    assert httpx.post(url, data={"token": "sandbox-revoked"}).json()["status"] == "revoked"
    assert httpx.post(url, data={}).status_code == 400


def test_unknown_organization_is_denied(li: httpx.Client) -> None:
    assert error_of(get(li, "organizations/999"), 403)["code"] == "ACCESS_DENIED"


# -- organization, followers -------------------------------------------------------------------


def test_organization_and_network_size(li: httpx.Client, shared_sandbox: SandboxHandle, today: date) -> None:
    body = get(li, f"organizations/{MAIN.account_id}").json()
    assert body["localizedName"] == MAIN.name and body["id"] == int(MAIN.account_id)
    size = get(li, f"networkSizes/{enc(org(MAIN))}", "edgeType=COMPANY_FOLLOWED_BY_MEMBER").json()
    assert size == {"firstDegreeSize": shared_sandbox.state.world.followers(MAIN, today - timedelta(days=1))}
    assert get(li, f"networkSizes/{enc(org(MAIN))}", "edgeType=NOPE").status_code == 400


def test_follower_gains_reconcile_with_truth(li: httpx.Client, seed: int, today: date) -> None:
    first, last = today - timedelta(days=7), today - timedelta(days=1)
    query = (
        f"q=organizationalEntity&organizationalEntity={enc(org(TRANSPORTS))}&timeIntervals={intervals(first, today)}"
    )
    body = get(li, "organizationalEntityFollowerStatistics", query).json()
    elements = body["elements"]
    assert len(elements) == 7, "days up to yesterday only"
    rows = truth(seed, today, first, last, platform="linkedin")["account_daily"]
    expected = {r["date"]: r for r in rows if r["account_id"] == TRANSPORTS.account_id}
    for el in elements:
        day = datetime.fromtimestamp(el["timeRange"]["start"] / 1000, tz=UTC).date()
        assert el["timeRange"]["end"] - el["timeRange"]["start"] == DAY_MS
        row = expected[day.isoformat()]
        gains = el["followerGains"]
        assert gains["organicFollowerGain"] + gains["paidFollowerGain"] == row["follows"] - row["unfollows"]
        assert gains["paidFollowerGain"] >= 0


def test_follower_gains_sum_to_network_size_changes(shared_sandbox: SandboxHandle, today: date) -> None:
    world = shared_sandbox.state.world
    day = today - timedelta(days=3)
    organic, paid = follower_gains(world, MAIN, day)
    assert world.followers(MAIN, day) - world.followers(MAIN, day - timedelta(days=1)) == organic + paid


# -- share statistics ----------------------------------------------------------------------------


def test_daily_share_statistics_are_organic_truth(
    li: httpx.Client, shared_sandbox: SandboxHandle, seed: int, today: date
) -> None:
    first, last = today - timedelta(days=5), today - timedelta(days=1)
    query = f"q=organizationalEntity&organizationalEntity={enc(org(MAIN))}&timeIntervals={intervals(first, last)}"
    elements = get(li, "organizationalEntityShareStatistics", query).json()["elements"]
    assert len(elements) == 5
    rows = truth(seed, today, first, last, platform="linkedin")["account_daily"]
    daily = {r["date"]: r for r in rows if r["account_id"] == MAIN.account_id}
    world = shared_sandbox.state.world
    for el in elements:
        day = datetime.fromtimestamp(el["timeRange"]["start"] / 1000, tz=UTC).date()
        stats = el["totalShareStatistics"]
        assert stats["impressionCount"] == daily[day.isoformat()]["views"] - daily[day.isoformat()]["views_paid"]
        assert stats == share_statistics_day(world, MAIN, day)
        interactions = stats["clickCount"] + stats["likeCount"] + stats["commentCount"] + stats["shareCount"]
        assert stats["engagement"] == pytest.approx(interactions / stats["impressionCount"])


def test_share_statistics_keep_a_rolling_twelve_months(li: httpx.Client, today: date) -> None:
    old = today - timedelta(days=400)
    span = intervals(old, old + timedelta(days=2))
    query = f"q=organizationalEntity&organizationalEntity={enc(org(MAIN))}&timeIntervals={span}"
    assert get(li, "organizationalEntityShareStatistics", query).json()["elements"] == []
    follower = get(li, "organizationalEntityFollowerStatistics", query).json()["elements"]
    assert len(follower) == 3, "follower statistics have no such window"


def test_bad_time_intervals_are_400(li: httpx.Client) -> None:
    base = f"q=organizationalEntity&organizationalEntity={enc(org(MAIN))}"
    assert (
        get(li, "organizationalEntityShareStatistics", f"{base}&timeIntervals=(timeRange:(start:1").status_code == 400
    )
    monthly = "(timeRange:(start:0,end:86400000),timeGranularityType:MONTH)"
    assert get(li, "organizationalEntityShareStatistics", f"{base}&timeIntervals={monthly}").status_code == 400
    assert get(li, "organizationalEntityShareStatistics", "q=organizationalEntity").status_code == 400


def test_post_lifetime_statistics_match_truth(li: httpx.Client, seed: int, today: date) -> None:
    posts = all_posts(li, MAIN, count=10, limit=10)
    shares = [p["id"] for p in posts if p["id"].startswith("urn:li:share:")]
    ugc = [p["id"] for p in posts if p["id"].startswith("urn:li:ugcPost:")]
    query = f"q=organizationalEntity&organizationalEntity={enc(org(MAIN))}"
    query += f"&shares=List({','.join(enc(u) for u in shares)})" if shares else ""
    query += f"&ugcPosts=List({','.join(enc(u) for u in ugc)})" if ugc else ""
    elements = get(li, "organizationalEntityShareStatistics", query).json()["elements"]
    assert len(elements) == len(posts)
    first = min(datetime.fromtimestamp(p["createdAt"] / 1000, tz=UTC).date() for p in posts)
    t = truth(seed, today, first, today - timedelta(days=1), platform="linkedin")
    metrics = {m["post_id"]: m for m in t["post_metrics"] if m["as_of"] == (today - timedelta(days=1)).isoformat()}
    for el in elements:
        urn = el.get("share") or el.get("ugcPost")
        stats, m = el["totalShareStatistics"], metrics[urn]
        assert stats["impressionCount"] == m["views"] - m["views_paid"]
        assert stats["likeCount"] == m["reactions_total"]
        assert (stats["clickCount"], stats["commentCount"], stats["shareCount"]) == (
            m["clicks"],
            m["comments"],
            m["shares"],
        )


def test_too_many_posts_per_statistics_call(li: httpx.Client) -> None:
    urns = ",".join(enc(f"urn:li:share:{n}") for n in range(21))
    query = f"q=organizationalEntity&organizationalEntity={enc(org(MAIN))}&shares=List({urns})"
    assert get(li, "organizationalEntityShareStatistics", query).status_code == 400


# -- posts ------------------------------------------------------------------------------------------


def test_posts_are_paged_newest_first_and_match_truth(li: httpx.Client, seed: int, today: date) -> None:
    first = today - timedelta(days=30)
    t = truth(seed, today, first, today - timedelta(days=1), platform="linkedin")
    expected = [p for p in t["posts"] if p["account_id"] == TRANSPORTS.account_id]
    served = all_posts(li, TRANSPORTS, count=4, limit=len(expected) + 4)
    created = [p["createdAt"] for p in served]
    assert created == sorted(created, reverse=True)
    recent = [p for p in served if p["createdAt"] >= ms(first)]
    assert {p["id"] for p in recent} == {p["post_id"] for p in expected}
    by_id = {p["post_id"]: p for p in expected}
    for post in recent:
        truth_post = by_id[post["id"]]
        assert post["author"] == org(TRANSPORTS)
        assert post.get("commentary") == truth_post["message"]
        kind = (post.get("content") or {}).get("media", {}).get("id", "")
        fmt = truth_post["format"]
        assert fmt in ("photo", "video", "link", "text")
        assert (fmt == "photo") == kind.startswith("urn:li:image:")
        assert (fmt == "video") == kind.startswith("urn:li:video:") == post["id"].startswith("urn:li:ugcPost:")
        assert (fmt == "link") == ("article" in (post.get("content") or {}))


def test_posts_paging_total_and_bounds(li: httpx.Client) -> None:
    body = get(li, "posts", f"q=author&author={enc(org(MAIN))}&sortBy=CREATED&count=5").json()
    assert body["paging"]["total"] > 100 and len(body["elements"]) == 5
    assert body["paging"]["links"][0]["rel"] == "next"
    huge = get(li, "posts", f"q=author&author={enc(org(MAIN))}&count=500").json()
    assert len(huge["elements"]) == 100
    assert get(li, "posts", "q=author&author=urn%3Ali%3Aperson%3Aabc").status_code == 400


# -- social metadata and comments ------------------------------------------------------------------------


def test_social_metadata_and_comments_match_truth(li: httpx.Client, seed: int, today: date) -> None:
    first = today - timedelta(days=6)
    t = truth(seed, today, first, today - timedelta(days=1), platform="linkedin")
    post = next(p for p in t["posts"] if sum(c["post_id"] == p["post_id"] for c in t["comments"]) > 3)
    urn = post["post_id"]
    meta = get(li, f"socialMetadata/{enc(urn)}").json()
    m = next(
        x for x in t["post_metrics"] if x["post_id"] == urn and x["as_of"] == (today - timedelta(days=1)).isoformat()
    )
    assert sum(r["count"] for r in meta["reactionSummaries"].values()) == m["reactions_total"]
    assert set(meta["reactionSummaries"]) <= {"LIKE", "PRAISE", "EMPATHY", "INTEREST", "APPRECIATION", "ENTERTAINMENT"}
    truth_comments = [c for c in t["comments"] if c["post_id"] == urn]
    assert meta["commentSummary"]["count"] == len(truth_comments) == m["comments"]

    top, start = [], 0
    while True:
        body = get(li, f"socialActions/{enc(urn)}/comments", f"start={start}&count=2").json()
        top += body["elements"]
        start += 2
        if start >= body["paging"]["total"]:
            break
    replies = []
    for comment in top:
        if comment["commentsSummary"]["aggregatedTotalComments"]:
            replies += get(li, f"socialActions/{enc(comment['$URN'])}/comments").json()["elements"]
    served = top + replies
    assert {c["$URN"] for c in served} == {c["comment_id"] for c in truth_comments}
    by_id = {c["comment_id"]: c for c in truth_comments}
    for comment in served:
        expected = by_id[comment["$URN"]]
        assert comment["message"]["text"] == expected["message"]
        assert comment.get("parentComment") == expected["parent_id"]
        if expected["is_from_page"]:
            assert comment["actor"] == org(MAIN if post["account_id"] == MAIN.account_id else TRANSPORTS)
        else:
            assert comment["actor"].startswith("urn:li:person:")
            assert expected["author_id"] not in comment["actor"]


def test_unknown_post_is_404(li: httpx.Client) -> None:
    assert error_of(get(li, f"socialMetadata/{enc('urn:li:share:1000000000000001')}"), 404)["code"] == "NOT_FOUND"
    assert get(li, f"socialMetadata/{enc('urn:li:foo:1')}").status_code == 400


def test_post_statistics_function_is_the_api(shared_sandbox: SandboxHandle, today: date) -> None:
    world = shared_sandbox.state.world
    post = next(iter(world.posts_between(MAIN, today - timedelta(days=10), today - timedelta(days=1))))
    stats = post_share_statistics(world, post, today - timedelta(days=1))
    metrics = world.post_metrics(post, today - timedelta(days=1))
    assert stats["impressionCount"] == metrics.views - metrics.views_paid


# -- throttles and faults ---------------------------------------------------------------------------


def test_daily_quota_throttles_with_linkedin_429(own_sandbox: SandboxHandle) -> None:
    base = own_sandbox.platform_url("linkedin")
    set_ratelimit(own_sandbox, "linkedin", budget=3)
    with httpx.Client(base_url=f"{base}/rest", headers=HEADERS) as client:
        statuses = [client.get(f"organizations/{MAIN.account_id}").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        throttled = client.get(f"organizations/{MAIN.account_id}")
        body = error_of(throttled, 429)
        assert body["serviceErrorCode"] == 101 and "DAY limit" in body["message"]
        assert not any(h.lower().startswith("x-ratelimit") or h.lower() == "retry-after" for h in throttled.headers)
        # quotas are per resource: another resource still answers
        assert client.get(f"networkSizes/{enc(org(MAIN))}?edgeType=COMPANY_FOLLOWED_BY_MEMBER").status_code == 200


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("http_429", 429, "TOO_MANY_REQUESTS"),
        ("http_500", 500, "INTERNAL_SERVER_ERROR"),
        ("expired_token", 401, "EXPIRED_ACCESS_TOKEN"),
    ],
)
def test_injected_faults_use_linkedin_shapes(own_sandbox: SandboxHandle, kind: str, status: int, code: str) -> None:
    add_faults(own_sandbox, {"platform": "linkedin", "kind": kind, "count": 1, "path": "/rest/"})
    with httpx.Client(base_url=f"{own_sandbox.platform_url('linkedin')}/rest", headers=HEADERS) as client:
        body = error_of(client.get(f"organizations/{MAIN.account_id}"), status)
        assert body["code"] == code
        assert client.get(f"organizations/{MAIN.account_id}").status_code == 200, "the fault is spent"
