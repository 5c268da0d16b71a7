"""The Instagram Graph API simulator (Facebook Login flavour) over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest

from sandbox import region
from sandbox.platforms import instagram as ig
from sandbox.timeutil import day_start
from sandbox.truth import truth
from sandbox.world import World
from tests.sandbox._helpers import add_faults, graph_error, graph_items, set_ratelimit

ACCOUNTS = region.accounts("instagram")
MAIN, JEUNESSE = (a.account_id for a in ACCOUNTS)
MEDIA_FIELDS = "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
COMMENT_FIELDS = "id,text,timestamp,username,like_count,replies{id,text,timestamp,username,like_count}"
DAY_TOTALS = "views,reach,accounts_engaged,total_interactions,likes,comments,shares,saves"


@pytest.fixture(scope="module")
def api(shared_sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{shared_sandbox.platform_url('instagram')}/v25.0",
        params={"access_token": "sandbox-token"},
        timeout=10,
    ) as client:
        yield client


def all_media(client: httpx.Client, user: str, **params: str) -> list[dict]:
    return graph_items(client.get(f"/{user}/media", params={"fields": MEDIA_FIELDS, **params}))


def window_truth(today: date, start: date, end: date, seed: int) -> dict:
    return truth(seed=seed, today=today, start=start, end=end, platform="instagram")


# -- IG user ------------------------------------------------------------------------


def test_user_node_fields_and_errors(api: httpx.Client, shared_sandbox, today: date) -> None:
    body = api.get(f"/{MAIN}", params={"fields": "username,name,followers_count,follows_count,media_count"}).json()
    assert set(body) == {"id", "username", "name", "followers_count", "follows_count", "media_count"}
    account = region.account_by_id("instagram", MAIN)
    assert body["username"] == account.username
    assert body["followers_count"] == shared_sandbox.state.world.followers(account, today - timedelta(days=1))
    assert body["media_count"] > 0 and body["follows_count"] > 0
    error = graph_error(api.get(f"/{MAIN}", params={"fields": "id,profile_views"}))
    assert error["message"] == "(#100) Tried accessing nonexisting field (profile_views) on node type (IGUser)"
    assert graph_error(api.get("/17841499999999999"))["error_subcode"] == 33
    assert graph_error(api.get(f"/{MAIN}/stories"))["code"] == 100


def test_usage_headers_tokens_and_versions(api: httpx.Client, shared_sandbox) -> None:
    response = api.get(f"/{JEUNESSE}")
    (entry,) = json.loads(response.headers["X-Business-Use-Case-Usage"])[JEUNESSE]
    assert entry["type"] == "instagram" and "estimated_time_to_regain_access" in entry
    assert set(json.loads(response.headers["X-App-Usage"])) == {"call_count", "total_cputime", "total_time"}
    assert response.headers["facebook-api-version"] == "v25.0"
    base = shared_sandbox.platform_url("instagram")
    expired = graph_error(httpx.get(f"{base}/v25.0/{MAIN}", headers={"Authorization": "Bearer sandbox-expired-x"}))
    assert (expired["code"], expired["error_subcode"]) == (190, 463)
    assert graph_error(httpx.get(f"{base}/v25.0/{MAIN}"))["code"] == 190
    assert graph_error(httpx.get(f"{base}/v18.0/{MAIN}", params={"access_token": "sandbox-token"}))["code"] == 2635


# -- account insights ------------------------------------------------------------------


def test_time_series_reach_and_follower_count_equal_truth(api: httpx.Client, today: date, seed: int) -> None:
    start, end = date(2026, 11, 10), date(2026, 11, 16)
    body = api.get(
        f"/{MAIN}/insights",
        params={
            "metric": "reach,follower_count",
            "period": "day",
            "metric_type": "time_series",
            "since": start.isoformat(),
            "until": (end + timedelta(days=1)).isoformat(),
        },
    ).json()
    rows = [r for r in window_truth(today, start, end, seed)["account_daily"] if r["account_id"] == MAIN]
    reach, followers = body["data"]
    assert [v["value"] for v in reach["values"]] == [r["viewers"] for r in rows]
    assert [v["value"] for v in followers["values"]] == [r["follows"] for r in rows]
    assert reach["values"][0]["end_time"] == "2026-11-11T08:00:00+0000"
    assert set(body["paging"]) == {"previous", "next"}


def test_total_value_is_the_window_total_and_splits_interactions(api: httpx.Client, today: date, seed: int) -> None:
    start, end = date(2026, 11, 12), date(2026, 11, 14)
    params = {"metric": DAY_TOTALS, "period": "day", "metric_type": "total_value"}
    body = api.get(f"/{JEUNESSE}/insights", params={**params, "since": "2026-11-12", "until": "2026-11-15"}).json()
    totals = {m["name"]: m["total_value"]["value"] for m in body["data"]}
    assert list(totals) == DAY_TOTALS.split(",")
    rows = [r for r in window_truth(today, start, end, seed)["account_daily"] if r["account_id"] == JEUNESSE]
    assert totals["views"] == sum(r["views"] for r in rows)
    assert totals["total_interactions"] == sum(r["post_engagements"] for r in rows)
    assert totals["likes"] + totals["comments"] + totals["shares"] + totals["saves"] == totals["total_interactions"]
    one_day = api.get(f"/{JEUNESSE}/insights", params={**params, "since": "2026-11-12", "until": "2026-11-13"}).json()
    assert {m["name"]: m["total_value"]["value"] for m in one_day["data"]}["views"] == rows[0]["views"]


def test_account_insights_errors(api: httpx.Client, today: date) -> None:
    def err(**params: str) -> dict:
        return graph_error(api.get(f"/{MAIN}/insights", params=params))

    message = err(metric="views", period="day")["message"]
    assert message == "(#100) The following metrics (views) should be specified with parameter metric_type=total_value"
    for removed in ("impressions", "profile_views", "website_clicks"):
        error = err(metric=f"reach,{removed}", period="day")
        assert error["code"] == 100 and error["message"].startswith("(#100) metric[1] must be one of")
    assert err(metric="follower_count", period="day", metric_type="total_value")["code"] == 100
    assert err(metric="reach")["message"].startswith("(#100) period must be one of")
    assert err(period="day")["code"] == 3001
    span = err(metric="reach", period="day", since="2026-09-01", until="2026-10-15")
    assert "30 days" in span["message"]
    future = api.get(
        f"/{MAIN}/insights",
        params={"metric": "reach", "period": "day", "since": today.isoformat(), "until": str(today + timedelta(2))},
    )
    assert future.status_code == 200 and future.json() == {"data": []}, "missing data is empty, not zero"


def test_follower_demographics_top_45_and_known_only(api: httpx.Client, shared_sandbox, today: date) -> None:
    account = region.account_by_id("instagram", MAIN)
    world = shared_sandbox.state.world
    followers = world.followers(account, today - timedelta(days=1))
    base = {"metric": "follower_demographics", "period": "lifetime", "metric_type": "total_value"}
    for breakdown in ("age", "gender", "city", "country"):
        body = api.get(f"/{MAIN}/insights", params={**base, "timeframe": "this_month", "breakdown": breakdown}).json()
        (item,) = body["data"]
        (block,) = item["total_value"]["breakdowns"]
        assert block["dimension_keys"] == [breakdown]
        served = {r["dimension_values"][0]: r["value"] for r in block["results"]}
        expected = ig.top_values(ig.follower_demographics(world, account, today - timedelta(days=1), breakdown))
        assert list(served.items()) == expected
        assert len(served) <= 45 and sum(served.values()) < followers
    assert len(ig.CITIES) > 45, "the city breakdown exercises the top-45 cut"
    assert graph_error(api.get(f"/{MAIN}/insights", params={**base, "timeframe": "this_month"}))["code"] == 100
    assert graph_error(api.get(f"/{MAIN}/insights", params={**base, "breakdown": "age"}))["code"] == 100


def _age_gender(api: httpx.Client, user: str, breakdown: str = "age,gender") -> dict[str, dict[tuple, int]]:
    params = {
        "metric": "follower_demographics,reached_audience_demographics",
        "period": "lifetime",
        "metric_type": "total_value",
        "timeframe": "this_month",
        "breakdown": breakdown,
    }
    served: dict[str, dict[tuple, int]] = {}
    for item in api.get(f"/{user}/insights", params=params).json()["data"]:
        (block,) = item["total_value"]["breakdowns"]
        assert block["dimension_keys"] == breakdown.split(",")
        served[item["name"]] = {tuple(r["dimension_values"]): r["value"] for r in block["results"]}
    return served


def test_age_gender_demographics_withhold_small_buckets_and_equal_truth(
    api: httpx.Client, today: date, seed: int
) -> None:
    """Followers and reached audience by age x gender: buckets under the threshold are absent, never 0."""
    as_of = today - timedelta(days=1)
    rows = window_truth(today, as_of, as_of, seed)["audience"]
    for user in (MAIN, JEUNESSE):
        served = _age_gender(api, user)
        assert set(served) == {"follower_demographics", "reached_audience_demographics"}
        for audience, metric in ig.AUDIENCE_METRICS.items():
            mine = [r for r in rows if r["account_id"] == user and r["audience"] == audience]
            assert len(mine) == len(region.AGE_BUCKETS) * len(region.GENDERS)
            assert {r["metric"] for r in mine} == {metric}
            expected = {(r["age_bucket"], r["gender"]): r["value"] for r in mine if not r["is_withheld"]}
            assert served[metric] == expected
            assert all(v >= ig.PRIVACY_THRESHOLD for v in served[metric].values())
            withheld = [r for r in mine if r["is_withheld"]]
            assert all(r["value"] < ig.PRIVACY_THRESHOLD for r in withheld)
        swapped = _age_gender(api, user, "gender,age")
        assert swapped["follower_demographics"] == {(g, a): v for (a, g), v in served["follower_demographics"].items()}
    jeunesse = [r for r in rows if r["account_id"] == JEUNESSE]
    assert any(r["is_withheld"] for r in jeunesse if r["audience"] == "followers"), "the fixture withholds buckets"
    assert any(r["is_withheld"] for r in jeunesse if r["audience"] == "reach")
    base = {"metric": "reached_audience_demographics", "period": "lifetime", "metric_type": "total_value"}
    bad = api.get(f"/{MAIN}/insights", params={**base, "timeframe": "this_month", "breakdown": "city,age"})
    assert graph_error(bad)["code"] == 100


def test_reached_audience_is_month_to_date_and_tilted_young(shared_sandbox) -> None:
    world = shared_sandbox.state.world
    for account in ACCOUNTS:
        month = [ig.reached_accounts(world, account, date(2026, 11, d)) for d in range(1, 20)]
        assert month == sorted(month), "unique reach never decreases within the month"
        assert month[0] == world.account_day(account, date(2026, 11, 1)).viewers, "day 1: that day's viewers"
        assert ig.reached_accounts(world, account, date(2026, 10, 31)) > month[0], "a new month starts again"
        monday = date(2026, 11, 19) - timedelta(days=date(2026, 11, 19).weekday())
        assert ig.reached_accounts(world, account, monday, "this_week") == world.account_day(account, monday).viewers

        def youth_share(values: dict[str, int]) -> float:
            return (values["13-17"] + values["18-24"]) / sum(values.values())

        followers = ig.follower_demographics(world, account, date(2026, 11, 19), "age")
        reached = ig.reached_audience_demographics(world, account, date(2026, 11, 19), "age")
        assert youth_share(reached) > youth_share(followers)


# -- media -----------------------------------------------------------------------------


def test_media_paging_covers_the_window_and_matches_truth(api: httpx.Client, today: date, seed: int) -> None:
    start, end = date(2026, 11, 1), date(2026, 11, 14)
    since, until = int(day_start(start).timestamp()), int(day_start(end + timedelta(days=1)).timestamp())
    media = all_media(api, MAIN, since=str(since), until=str(until), limit="3")
    posts = [p for p in window_truth(today, start, end, seed)["posts"] if p["account_id"] == MAIN]
    assert len(media) == len(posts) > 3
    assert len({m["id"] for m in media}) == len(media), "no media twice across pages"
    by_id = {p["post_id"]: p for p in posts}
    kinds = {"photo": {("IMAGE", "FEED"), ("CAROUSEL_ALBUM", "FEED")}, "video": {("VIDEO", "FEED")}}
    kinds["reel"] = {("VIDEO", "REELS")}
    for m in media:
        post = by_id[m["id"]]
        assert m["permalink"] == post["permalink_url"]
        assert m.get("caption") == post["message"]
        assert (m["media_type"], m["media_product_type"]) in kinds[post["format"]]
        assert post["format"] in ("photo", "video", "reel")
    assert [m["timestamp"] for m in media] == sorted((m["timestamp"] for m in media), reverse=True)


def _some_media(api: httpx.Client, product: str) -> dict:
    media = all_media(api, JEUNESSE, since="2026-11-01", until="2026-11-20", limit="100")
    return next(m for m in media if m["media_product_type"] == product)


def test_media_insights_per_product_type_and_the_whole_request_trap(api: httpx.Client, today: date, seed: int) -> None:
    feed, reel = _some_media(api, "FEED"), _some_media(api, "REELS")
    t = window_truth(today, date(2026, 11, 1), date(2026, 11, 25), seed)
    as_of = (today - timedelta(days=1)).isoformat()
    metrics = {m["post_id"]: m for m in t["post_metrics"] if m["as_of"] == as_of}
    feed_set = ",".join(ig.FEED_METRICS)
    body = api.get(f"/{feed['id']}/insights", params={"metric": feed_set}).json()
    values = {m["name"]: m["values"][0]["value"] for m in body["data"]}
    truth_row = metrics[feed["id"]]
    assert values["views"] == truth_row["views"] and values["reach"] == truth_row["viewers"]
    assert values["likes"] == truth_row["reactions_total"] == feed["like_count"]
    assert values["comments"] == truth_row["comments"] == feed["comments_count"]
    assert values["saved"] == truth_row["clicks"] and values["shares"] == truth_row["shares"]
    assert values["total_interactions"] == truth_row["engagements"]

    trap = graph_error(api.get(f"/{feed['id']}/insights", params={"metric": "views,reach,ig_reels_avg_watch_time"}))
    assert trap["message"] == (
        "(#100) The Media Insights API does not support the ig_reels_avg_watch_time metric for this media product type."
    )
    reel_body = api.get(f"/{reel['id']}/insights", params={"metric": ",".join(ig.REELS_METRICS)}).json()
    assert [m["name"] for m in reel_body["data"]] == list(ig.REELS_METRICS)
    assert graph_error(api.get(f"/{reel['id']}/insights", params={"metric": "follows"}))["code"] == 100
    for removed in ("impressions", "plays", "video_views"):
        error = graph_error(api.get(f"/{reel['id']}/insights", params={"metric": f"reach,{removed}"}))
        assert error["message"].startswith("(#100) metric[1] must be one of")


def test_media_of_today_do_not_exist_yet(api: httpx.Client, shared_sandbox, today: date) -> None:
    account = region.account_by_id("instagram", MAIN)
    future = [p for d in range(3) for p in shared_sandbox.state.world.posts_on(account, today + timedelta(d))]
    assert future
    assert graph_error(api.get(f"/{ig.InstagramPlatform.post_id(future[0])}"))["error_subcode"] == 33


# -- comments ------------------------------------------------------------------------------


def test_comments_with_replies_equal_truth(api: httpx.Client, today: date, seed: int) -> None:
    start, end = date(2026, 11, 3), date(2026, 11, 6)
    t = window_truth(today, start, end, seed)
    posts = [p["post_id"] for p in t["posts"] if p["account_id"] == MAIN]
    world = World(seed)
    served: dict[str, dict] = {}
    for media_id in posts:
        for top in graph_items(api.get(f"/{media_id}/comments", params={"fields": COMMENT_FIELDS, "limit": "5"})):
            served[top["id"]] = {**top, "parent": None}
            for reply in top.get("replies", {}).get("data", []):
                served[reply["id"]] = {**reply, "parent": top["id"]}
    # truth lists comments created before the end of `end`; the API shows everything before now.
    expected = {}
    account = region.account_by_id("instagram", MAIN)
    for post in world.posts_between(account, start, end):
        for c in world.comments_before(post, day_start(today)):
            expected[ig.InstagramPlatform.comment_id(post, c.serial)] = c
    assert set(served) == set(expected)
    own = {cid for cid, c in expected.items() if c.is_from_page}
    assert own and {cid for cid, c in served.items() if c["username"] == account.username} == own
    for cid, c in expected.items():
        assert served[cid]["text"] == c.message and served[cid]["username"] == ig.commenter_username(c)
        parent = ig.InstagramPlatform.comment_id(c.post, c.parent_serial) if c.parent_serial else None
        assert served[cid]["parent"] == parent
    truth_ids = {c["comment_id"] for c in t["comments"] if c["post_id"] in posts}
    assert truth_ids <= set(served)

    reply_id = next(cid for cid, c in served.items() if c["parent"])
    parent_id = served[reply_id]["parent"]
    replies = api.get(f"/{parent_id}/replies", params={"fields": "id,text,username"}).json()["data"]
    assert reply_id in {r["id"] for r in replies}
    assert api.get(f"/{reply_id}", params={"fields": "id,parent_id"}).json()["parent_id"] == parent_id


# -- faults and rate limits -------------------------------------------------------------------


def test_faults_in_the_graph_dialect(own_sandbox) -> None:
    add_faults(
        own_sandbox,
        {"platform": "instagram", "kind": "http_429", "count": 1, "seconds": 3},
        {"platform": "instagram", "kind": "http_500", "count": 1},
        {"platform": "instagram", "kind": "expired_token", "count": 1},
    )
    target = f"{own_sandbox.platform_url('instagram')}/v25.0/{MAIN}/insights"
    throttled = httpx.get(target, params={"access_token": "sandbox-token"})
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
    error = throttled.json()["error"]
    assert error["code"] == 80002 and error["is_transient"]
    (entry,) = json.loads(throttled.headers["X-Business-Use-Case-Usage"])[MAIN]
    assert entry["type"] == "instagram" and entry["call_count"] == 100
    server = httpx.get(target, params={"access_token": "sandbox-token"})
    assert server.status_code == 500 and server.json()["error"]["code"] == 2
    expired = httpx.get(target, params={"access_token": "sandbox-token"}).json()["error"]
    assert (expired["code"], expired["error_subcode"]) == (190, 463)


def test_budget_exhaustion_throttles_with_80002(own_sandbox) -> None:
    set_ratelimit(own_sandbox, "instagram", budget=3, window_seconds=3600)
    target = f"{own_sandbox.platform_url('instagram')}/v25.0/{JEUNESSE}"
    statuses = [httpx.get(target, params={"access_token": "sandbox-token"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    last = httpx.get(target, params={"access_token": "sandbox-token"})
    assert last.json()["error"]["code"] == 80002 and int(last.headers["Retry-After"]) > 0
