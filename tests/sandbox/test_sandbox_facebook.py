"""The Facebook Graph API simulator over real HTTP."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox import region
from sandbox.server import serve_in_thread
from sandbox.timeutil import two_years_before
from tests.sandbox._helpers import graph_error, graph_items

PAGES = [a.account_id for a in region.accounts("facebook")]
MAIN, TRANSPORTS, JEUNESSE = PAGES
POST_FIELDS = "id,message,created_time,permalink_url,status_type,shares"
COMMENT_FIELDS = "id,message,created_time,from,parent,permalink_url,like_count"
PAGE_METRICS = (
    "page_media_view,page_total_media_view_unique,page_follows,page_daily_follows_unique,"
    "page_daily_unfollows_unique,page_post_engagements,page_views_total,page_video_views"
)


def all_posts(client: httpx.Client, page: str, **params: str) -> list[dict]:
    return graph_items(client.get(f"/{page}/posts", params={"fields": POST_FIELDS, **params}))


# -- Page node ------------------------------------------------------------------


def test_page_node_serves_requested_fields_only(fb: httpx.Client, shared_sandbox, today: date) -> None:
    body = fb.get(f"/{MAIN}", params={"fields": "id,name,link,category,followers_count,fan_count"}).json()
    assert set(body) == {"id", "name", "link", "category", "followers_count", "fan_count"}
    assert body["name"] == "Région Val-d'Argent"
    account = region.account_by_id("facebook", MAIN)
    assert body["followers_count"] == shared_sandbox.state.world.followers(account, today - timedelta(days=1))
    assert 0 < body["fan_count"] < body["followers_count"]
    assert fb.get(f"/{TRANSPORTS}").json() == {"id": TRANSPORTS, "name": "Val-d'Argent Mobilités"}


def test_unknown_field_and_unknown_node(fb: httpx.Client) -> None:
    error = graph_error(fb.get(f"/{MAIN}", params={"fields": "id,fans_gender_age"}))
    assert error["code"] == 100
    assert error["message"] == "(#100) Tried accessing nonexisting field (fans_gender_age) on node type (Page)"
    error = graph_error(fb.get("/999000111"))
    assert (error["code"], error["error_subcode"], error["type"]) == (100, 33, "GraphMethodException")
    assert "Object with ID '999000111' does not exist" in error["message"]
    assert graph_error(fb.get(f"/{MAIN}_123"))["error_subcode"] == 33


def test_versions_and_version_header(shared_sandbox, graph_client) -> None:
    for version in ("v23.0", "v27.0"):
        response = graph_client(shared_sandbox, version=version).get(f"/{MAIN}")
        assert response.status_code == 200 and response.headers["facebook-api-version"] == version
    for version in ("v22.0", "v18.0", "v30.0"):
        error = graph_error(graph_client(shared_sandbox, version=version).get(f"/{MAIN}"))
        assert error["code"] == 2635 and "deprecated version" in error["message"]


def test_usage_headers_are_json(fb: httpx.Client) -> None:
    response = fb.get(f"/{JEUNESSE}")
    app_usage = json.loads(response.headers["X-App-Usage"])
    assert set(app_usage) == {"call_count", "total_cputime", "total_time"}
    buc = json.loads(response.headers["X-Business-Use-Case-Usage"])
    (entry,) = buc[JEUNESSE]
    assert entry["type"] == "pages"
    assert {"call_count", "total_cputime", "total_time", "estimated_time_to_regain_access"} <= set(entry)
    assert response.headers["facebook-api-version"] == "v25.0"
    error_headers = fb.get("/42").headers  # errors carry them too
    assert json.loads(error_headers["X-App-Usage"]) and json.loads(error_headers["X-Business-Use-Case-Usage"]) == {}


# -- tokens ----------------------------------------------------------------------------


def test_tokens(shared_sandbox, graph_client) -> None:
    url = f"{shared_sandbox.platform_url('facebook')}/v25.0/{MAIN}"
    assert httpx.get(url, headers={"Authorization": "Bearer sandbox-token"}).status_code == 200
    error = graph_error(graph_client(shared_sandbox, token="sandbox-expired-2026").get(f"/{MAIN}"))
    assert (error["code"], error["error_subcode"], error["type"]) == (190, 463, "OAuthException")
    assert error["message"].startswith("Error validating access token: Session has expired on")
    assert graph_error(graph_client(shared_sandbox, token="sandbox-revoked").get(f"/{MAIN}"))["error_subcode"] == 460
    for token in (None, "EAAB-not-ours"):
        error = graph_error(graph_client(shared_sandbox, token=token).get(f"/{MAIN}"))
        assert error["code"] == 190 and "Cannot parse access token" in error["message"]
    page_token = graph_client(shared_sandbox, token=f"sandbox-page-{TRANSPORTS}")
    assert page_token.get(f"/{TRANSPORTS}").status_code == 200
    assert graph_error(page_token.get(f"/{MAIN}"))["error_subcode"] == 33


# -- Page insights ----------------------------------------------------------------


def test_page_insights_shape_and_end_times(fb: httpx.Client) -> None:
    response = fb.get(
        f"/{MAIN}/insights",
        params={"metric": PAGE_METRICS, "period": "day", "since": "2026-10-01", "until": "2026-10-08"},
    )
    body = response.json()
    assert [m["name"] for m in body["data"]] == PAGE_METRICS.split(",")
    for metric in body["data"]:
        assert metric["period"] == "day" and metric["id"] == f"{MAIN}/insights/{metric['name']}/day"
        assert metric["title"] and metric["description"]
        ends = [v["end_time"] for v in metric["values"]]
        assert ends == [f"2026-10-{d:02d}T08:00:00+0000" for d in range(2, 9)]
        assert all(isinstance(v["value"], int) and v["value"] >= 0 for v in metric["values"])
    paging = body["paging"]
    nxt = parse_qs(urlsplit(paging["next"]).query)
    prev = parse_qs(urlsplit(paging["previous"]).query)
    oct1, oct8 = (int(datetime(2026, 10, d, tzinfo=UTC).timestamp()) for d in (1, 8))
    week = oct8 - oct1
    assert (int(nxt["since"][0]), int(nxt["until"][0])) == (oct8, oct8 + week)
    assert (int(prev["since"][0]), int(prev["until"][0])) == (oct1 - week, oct1)
    assert nxt["metric"] == [PAGE_METRICS]


def test_page_insights_unix_timestamps_equal_dates(fb: httpx.Client) -> None:
    since, until = (int(datetime(2026, 9, d, tzinfo=UTC).timestamp()) for d in (10, 20))
    by_unix = fb.get(f"/{MAIN}/insights", params={"metric": "page_follows", "since": since, "until": until}).json()
    by_date = fb.get(
        f"/{MAIN}/insights", params={"metric": "page_follows", "since": "2026-09-10", "until": "2026-09-20"}
    ).json()
    assert by_unix["data"] == by_date["data"] and len(by_date["data"][0]["values"]) == 10


def test_page_insights_stop_yesterday_and_keep_two_years(fb: httpx.Client, today: date) -> None:
    body = fb.get(
        f"/{MAIN}/insights", params={"metric": "page_media_view", "since": "2026-11-01", "until": "2026-12-31"}
    ).json()
    ends = [v["end_time"] for v in body["data"][0]["values"]]
    assert ends[-1] == f"{today.isoformat()}T08:00:00+0000"  # holds today - 1
    oldest = two_years_before(today)
    since = oldest - timedelta(days=10)
    body = fb.get(
        f"/{MAIN}/insights",
        params={
            "metric": "page_follows",
            "since": since.isoformat(),
            "until": (oldest + timedelta(days=5)).isoformat(),
        },
    ).json()
    values = body["data"][0]["values"]
    assert len(values) == 5 and values[0]["end_time"].startswith((oldest + timedelta(days=1)).isoformat())
    older = fb.get(f"/{MAIN}/insights", params={"metric": "page_follows", "since": "2024-01-01", "until": "2024-03-01"})
    assert older.status_code == 200 and older.json()["data"] == []


def test_page_insights_93_day_limit(fb: httpx.Client) -> None:
    ok = fb.get(f"/{MAIN}/insights", params={"metric": "page_follows", "since": "2026-06-01", "until": "2026-09-02"})
    assert ok.status_code == 200 and len(ok.json()["data"][0]["values"]) == 93
    error = graph_error(
        fb.get(f"/{MAIN}/insights", params={"metric": "page_follows", "since": "2026-06-01", "until": "2026-09-03"})
    )
    assert error["code"] == 100
    assert error["message"] == "(#100) There cannot be more than 93 days (8035200 s) between since and until"


def test_no_metric_and_removed_metrics(fb: httpx.Client) -> None:
    error = graph_error(fb.get(f"/{MAIN}/insights", params={"period": "day"}))
    assert (error["code"], error["error_subcode"]) == (3001, 1504028)
    removed = ("page_impressions", "page_impressions_unique", "page_fans", "page_fan_adds", "page_engaged_users")
    for name in (*removed, "page_fans_gender_age", "no_such_metric"):
        error = graph_error(fb.get(f"/{MAIN}/insights", params={"metric": f"page_follows,{name}", "period": "day"}))
        assert error["code"] == 100 and "valid insights metric" in error["message"] and name in error["message"]


def test_is_from_ads_breakdown(fb: httpx.Client) -> None:
    params = {"metric": "page_media_view", "since": "2026-07-01", "until": "2026-09-15"}
    plain = fb.get(f"/{MAIN}/insights", params=params).json()["data"][0]["values"]
    split = fb.get(f"/{MAIN}/insights", params={**params, "breakdown": "is_from_ads"}).json()["data"][0]["values"]
    assert [v["value"] for v in plain] == [v["value"]["true"] + v["value"]["false"] for v in split]
    assert any(v["value"]["true"] > 0 for v in split) and all(v["value"]["false"] > 0 for v in split)
    error = graph_error(
        fb.get(f"/{MAIN}/insights", params={**params, "metric": "page_follows", "breakdown": "is_from_ads"})
    )
    assert error["code"] == 100


# -- posts -------------------------------------------------------------------------


def test_posts_paging_covers_every_post_exactly_once(fb: httpx.Client, shared_sandbox) -> None:
    world = shared_sandbox.state.world
    for account in region.accounts("facebook"):
        served = all_posts(fb, account.account_id, since="2026-09-01", until="2026-10-15", limit="7")
        ids = [p["id"] for p in served]
        expected = [
            f"{account.account_id}_{p.serial}"
            for p in world.posts_between(account, date(2026, 9, 1), date(2026, 10, 14))
        ]
        assert len(ids) == len(set(ids)) and sorted(ids) == sorted(expected)
        times = [p["created_time"] for p in served]
        assert times == sorted(times, reverse=True)


def test_posts_wire_format(fb: httpx.Client, shared_sandbox, today: date) -> None:
    world = shared_sandbox.state.world
    account = region.account_by_id("facebook", JEUNESSE)
    served = all_posts(fb, JEUNESSE, since="2026-06-01", until="2026-09-01", limit="100")
    kinds = set()
    for item in served:
        post = world.find_post(account, int(item["id"].split("_")[1]))
        assert item["created_time"] == post.created_at.strftime("%Y-%m-%dT%H:%M:%S+0000")
        n = item["id"].split("_")[1]
        expected_status = {
            "photo": "added_photos",
            "video": "added_video",
            "reel": "added_video",
            "link": "shared_story",
            "text": "mobile_status_update",
        }[post.format]
        assert item["status_type"] == expected_status
        if post.format == "reel":
            assert item["permalink_url"] == f"https://www.facebook.com/reel/{n}"
        else:
            assert item["permalink_url"] == f"https://www.facebook.com/{JEUNESSE}/posts/{n}"
        shares = world.post_metrics(post, today - timedelta(days=1)).shares
        assert item.get("shares") == ({"count": shares} if shares else None)
        assert ("message" in item) == (post.message is not None)
        kinds.add(post.format)
    assert {"reel", "photo"} <= kinds


def test_posts_limit_cursor_and_last_page(fb: httpx.Client) -> None:
    first = fb.get(f"/{MAIN}/posts", params={"limit": "500", "since": "2026-01-01", "until": "2026-06-01"}).json()
    assert len(first["data"]) == 100  # limit is capped at 100
    cursors = first["paging"]["cursors"]
    assert cursors["before"] != cursors["after"]
    assert "next" in first["paging"] and "access_token=sandbox-token" in first["paging"]["next"]
    tail = fb.get(f"/{MAIN}/posts", params={"since": "2026-11-10", "until": "2026-11-22", "limit": "100"}).json()
    assert "next" not in tail["paging"]
    assert graph_error(fb.get(f"/{MAIN}/posts", params={"after": "not-a-cursor"}))["code"] == 100


def test_posts_of_today_do_not_exist_yet(fb: httpx.Client, shared_sandbox, today: date) -> None:
    served = fb.get(f"/{MAIN}/posts", params={"limit": "100"}).json()["data"]
    assert served and all(p["created_time"] < today.isoformat() for p in served)
    account = region.account_by_id("facebook", MAIN)
    future = next(
        p for d in range(0, 10) for p in shared_sandbox.state.world.posts_on(account, today + timedelta(days=d))
    )
    assert graph_error(fb.get(f"/{MAIN}_{future.serial}"))["error_subcode"] == 33


def test_post_insights(fb: httpx.Client, shared_sandbox, today: date) -> None:
    world = shared_sandbox.state.world
    account = region.account_by_id("facebook", TRANSPORTS)
    post = next(p for p in world.posts_between(account, date(2026, 11, 1), date(2026, 11, 24)) if p.is_sponsored)
    post_id = f"{TRANSPORTS}_{post.serial}"
    metrics = "post_media_view,post_total_media_view_unique,post_reactions_by_type_total,post_clicks"
    body = fb.get(f"/{post_id}/insights", params={"metric": metrics, "period": "lifetime"}).json()
    values = {m["name"]: m["values"][0]["value"] for m in body["data"]}
    expected = world.post_metrics(post, today - timedelta(days=1))
    assert values == {
        "post_media_view": expected.views,
        "post_total_media_view_unique": expected.viewers,
        "post_reactions_by_type_total": dict(expected.reactions),
        "post_clicks": expected.clicks,
    }
    assert list(values["post_reactions_by_type_total"]) == ["like", "love", "wow", "haha", "sorry", "anger"]
    assert body["data"][0]["id"] == f"{post_id}/insights/post_media_view/lifetime"
    split = fb.get(f"/{post_id}/insights", params={"metric": "post_media_view", "breakdown": "is_from_ads"}).json()
    assert split["data"][0]["values"][0]["value"] == {
        "true": expected.views_paid,
        "false": expected.views - expected.views_paid,
    }
    for removed in ("post_impressions", "post_impressions_unique", "post_engaged_users"):
        error = graph_error(fb.get(f"/{post_id}/insights", params={"metric": removed}))
        assert error["code"] == 100 and removed in error["message"]


# -- comments --------------------------------------------------------------------------


def test_comments_stream_summary_and_replies(fb: httpx.Client, shared_sandbox, today: date) -> None:
    world = shared_sandbox.state.world
    account = region.account_by_id("facebook", TRANSPORTS)
    posts = list(world.posts_between(account, date(2026, 10, 1), date(2026, 10, 31)))
    post = max(posts, key=lambda p: sum(c.is_from_page for c in world.comments(p)))
    post_id = f"{TRANSPORTS}_{post.serial}"
    params = {"filter": "stream", "order": "chronological", "summary": "true", "fields": COMMENT_FIELDS, "limit": "10"}
    response = fb.get(f"/{post_id}/comments", params=params)
    summary = response.json()["summary"]
    items = graph_items(response)
    assert summary == {"order": "chronological", "total_count": len(items), "can_comment": True}
    assert len(items) == world.post_metrics(post, today - timedelta(days=1)).comments
    assert len({c["id"] for c in items}) == len(items)
    assert [c["created_time"] for c in items] == sorted(c["created_time"] for c in items)
    ids = {c["id"] for c in items}
    page_replies = [c for c in items if c["from"]["id"] == TRANSPORTS]
    assert page_replies and all(c["parent"]["id"] in ids for c in page_replies)
    assert all(c["from"]["name"] == "Val-d'Argent Mobilités" for c in page_replies)
    assert all(c["message"].startswith("Bonjour") for c in page_replies)
    assert any(c["message"].endswith("?") for c in items)
    first = items[0]
    short, m = first["id"].split("_")
    assert short == str(post.serial)
    assert first["permalink_url"] == f"https://www.facebook.com/{TRANSPORTS}/posts/{post.serial}?comment_id={m}"
    assert isinstance(first["like_count"], int) and "parent" not in first
    top = fb.get(f"/{post_id}/comments", params={"summary": "true", "limit": "100"}).json()
    assert all("parent" not in c for c in top["data"])
    assert top["summary"]["total_count"] == len(items) - sum(1 for c in items if "parent" in c)


def test_comments_reverse_chronological(fb: httpx.Client, shared_sandbox) -> None:
    account = region.account_by_id("facebook", MAIN)
    post = next(
        p
        for p in shared_sandbox.state.world.posts_between(account, date(2026, 9, 1), date(2026, 9, 30))
        if len(shared_sandbox.state.world.comments(p)) > 5
    )
    params = {"filter": "stream", "limit": "100"}
    chrono = fb.get(f"/{MAIN}_{post.serial}/comments", params=params).json()["data"]
    reverse = fb.get(f"/{MAIN}_{post.serial}/comments", params={**params, "order": "reverse_chronological"}).json()
    assert [c["id"] for c in reverse["data"]] == [c["id"] for c in reversed(chrono)]


# -- determinism --------------------------------------------------------------------------


def _snapshot(client: httpx.Client) -> list[str]:
    posts = client.get(f"/{MAIN}/posts", params={"fields": POST_FIELDS, "since": "2026-10-01", "until": "2026-10-10"})
    first_post = posts.json()["data"][0]["id"]
    responses = [
        client.get(f"/{MAIN}", params={"fields": "id,name,followers_count,fan_count"}),
        client.get(
            f"/{TRANSPORTS}/insights", params={"metric": PAGE_METRICS, "since": "2026-09-01", "until": "2026-10-01"}
        ),
        posts,
        client.get(f"/{first_post}/insights", params={"metric": "post_media_view,post_reactions_by_type_total"}),
        client.get(f"/{first_post}/comments", params={"filter": "stream", "fields": COMMENT_FIELDS, "limit": "100"}),
    ]
    assert all(r.status_code == 200 for r in responses)
    return [r.text.replace(str(client.base_url.port), "PORT") for r in responses]


def test_same_seed_and_day_identical_responses_other_seed_differs(graph_client, today: date, seed: int) -> None:
    with serve_in_thread(seed=seed, today=today) as a, serve_in_thread(seed=seed, today=today) as b:
        assert _snapshot(graph_client(a)) == _snapshot(graph_client(b))
        reference = _snapshot(graph_client(a))
    with serve_in_thread(seed=seed + 1, today=today) as other:
        different = _snapshot(graph_client(other))
    assert all(x != y for x, y in zip(reference[1:], different[1:], strict=True))


def test_past_does_not_depend_on_today(graph_client, today: date, seed: int) -> None:
    params = {"metric": PAGE_METRICS, "since": "2026-08-01", "until": "2026-10-01"}
    with serve_in_thread(seed=seed, today=today) as now, serve_in_thread(seed=seed, today=date(2027, 3, 2)) as later:
        assert (
            graph_client(now).get(f"/{MAIN}/insights", params=params).json()["data"]
            == (graph_client(later).get(f"/{MAIN}/insights", params=params).json()["data"])
        )
        old = {"since": "2026-08-01", "until": "2026-08-15", "fields": POST_FIELDS}
        assert [p["id"] for p in graph_client(now).get(f"/{JEUNESSE}/posts", params=old).json()["data"]] == [
            p["id"] for p in graph_client(later).get(f"/{JEUNESSE}/posts", params=old).json()["data"]
        ]


@pytest.mark.parametrize("path", ["/112233445566001/likes", "/112233445566001/insights/a/b/c"])
def test_unknown_edges(fb: httpx.Client, path: str) -> None:
    assert graph_error(fb.get(path))["code"] == 100
