"""The fault campaign's kinds, each on each platform, over real HTTP."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest

from sandbox import region
from sandbox.faults import KINDS, FaultRegistry, FaultRule
from sandbox.server import serve_in_thread
from sandbox.truth import truth

TODAY = date(2026, 11, 26)
PLATFORMS = ["facebook", "instagram", "linkedin", "x", "bluesky", "mastodon"]
AUTH = {"Authorization": "Bearer sandbox-token", "Linkedin-Version": "202609", "X-Restli-Protocol-Version": "2.0.0"}


def profile_url(base: str, platform: str) -> str:
    """A cheap successful read on each platform (its first account's profile)."""
    account = region.accounts(platform)[0]
    return {
        "facebook": f"{base}/facebook/v25.0/{account.account_id}?fields=id,name,followers_count",
        "instagram": f"{base}/instagram/v25.0/{account.account_id}?fields=id,username,followers_count",
        "linkedin": f"{base}/linkedin/rest/networkSizes/urn%3Ali%3Aorganization%3A{account.account_id}"
        "?edgeType=COMPANY_FOLLOWED_BY_MEMBER",
        "x": f"{base}/x/2/users/{account.account_id}",
        "bluesky": f"{base}/bluesky/xrpc/app.bsky.actor.getProfile?actor={account.username}",
        "mastodon": f"{base}/mastodon/api/v1/accounts/{account.account_id}",
    }[platform]


def get(handle, platform: str) -> httpx.Response:
    return httpx.get(profile_url(handle.url, platform), headers=AUTH)


def test_every_campaign_kind_is_registered() -> None:
    wanted = {
        "http_429", "http_500", "http_5xx", "slow", "drop_connection", "malformed_json", "duplicate_items",
        "cursor_loop", "rename_field", "remove_field", "expired_token", "revoked_token",
    }  # fmt: skip
    assert wanted <= set(KINDS)


def test_cli_specs_of_the_new_kinds() -> None:
    rule = FaultRule.from_spec("x:http_5xx:rate=0.3:path=/tweets")
    assert (rule.kind, rule.rate, rule.path) == ("http_5xx", 0.3, "/tweets")
    rule = FaultRule.from_spec("facebook:rename_field:field=created_time:to=created_at")
    assert rule.options == {"field": "created_time", "to": "created_at"}
    assert FaultRule.from_spec("mastodon:remove_field:field=created_at").stage == "transform"
    for bad in ("x:http_5xx:rate=2", "x:http_5xx:rate=lots", "x:rename_field:field=id", "x:remove_field"):
        with pytest.raises(ValueError):
            FaultRule.from_spec(bad)


def test_http_5xx_rate_is_deterministic_from_seed_and_request_order() -> None:
    def statuses(seed: int) -> list[int | None]:
        registry = FaultRegistry([FaultRule.from_spec("x:http_5xx:rate=0.3")], seed=seed)
        return [registry.take("x", "/x/2/users/1").status for _ in range(200)]

    first = statuses(42)
    assert first == statuses(42) and first != statuses(7)
    failed = [s for s in first if s is not None]
    assert set(failed) == {500, 502, 503, 504}
    assert 40 <= len(failed) <= 80  # ~30 % of 200


@pytest.mark.parametrize("platform", PLATFORMS)
def test_http_5xx_in_the_platform_dialect(platform) -> None:
    with serve_in_thread(today=TODAY, faults=[f"{platform}:http_5xx:rate=0.5"]) as handle:
        answers = [get(handle, platform) for _ in range(30)]
    failed = [a for a in answers if a.status_code >= 500]
    assert 5 <= len(failed) <= 25 and {a.status_code for a in failed} <= {500, 502, 503, 504}
    assert all(a.status_code == 200 for a in answers if a.status_code < 500)


RATE_HEADERS = {
    "facebook": ["X-App-Usage", "X-Business-Use-Case-Usage", "Retry-After"],
    "instagram": ["X-Business-Use-Case-Usage", "Retry-After"],
    "linkedin": [],
    "x": ["x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"],
    "bluesky": ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"],
    "mastodon": ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_429_storm_with_the_platform_headers(platform) -> None:
    with serve_in_thread(today=TODAY, faults=[f"{platform}:http_429:count=3"]) as handle:
        storm = [get(handle, platform) for _ in range(3)]
        after = get(handle, platform)
    assert [a.status_code for a in storm] == [429, 429, 429] and after.status_code == 200
    for name in RATE_HEADERS[platform]:
        assert name in storm[0].headers, name


REVOKED = {
    "facebook": lambda b: (b["error"]["code"], b["error"]["error_subcode"]) == (190, 460),
    "instagram": lambda b: (b["error"]["code"], b["error"]["error_subcode"]) == (190, 460),
    "linkedin": lambda b: b["code"] == "REVOKED_ACCESS_TOKEN",
    "x": lambda b: b["title"] == "Unauthorized",
    "bluesky": lambda b: b["error"] == "InvalidToken",
    "mastodon": lambda b: "revoked" in b["error"],
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_revoked_token_in_the_platform_dialect(platform) -> None:
    with serve_in_thread(today=TODAY, faults=[f"{platform}:revoked_token"]) as handle:
        answers = [get(handle, platform) for _ in range(2)]  # permanent: every request
    assert all(a.status_code in (400, 401) for a in answers)  # Graph answers 400 for OAuthException
    assert all(REVOKED[platform](a.json()) for a in answers)


def test_meta_app_removed_subcode() -> None:
    with serve_in_thread(today=TODAY, faults=["facebook:revoked_token:subcode=458"]) as handle:
        assert get(handle, "facebook").json()["error"]["error_subcode"] == 458


@pytest.mark.parametrize("platform", PLATFORMS)
def test_malformed_json_and_dropped_connection(platform) -> None:
    faults = [f"{platform}:malformed_json:count=1", f"{platform}:drop_connection:count=1:skip=1"]
    with serve_in_thread(today=TODAY, faults=faults) as handle:
        broken = get(handle, platform)
        assert broken.status_code == 200
        with pytest.raises(ValueError):
            json.loads(broken.content)
        with pytest.raises(httpx.RemoteProtocolError):  # headers arrived, the body did not
            get(handle, platform)
        assert get(handle, platform).status_code == 200


@pytest.mark.parametrize("platform", PLATFORMS)
def test_schema_drift_rename_and_remove(platform) -> None:
    with serve_in_thread(today=TODAY) as handle:
        clean = get(handle, platform).json()
    nested = isinstance(clean.get("data"), dict)  # X wraps the user in `data`

    def profile(answer: dict) -> dict:
        return answer["data"] if nested else answer

    field = next(iter(profile(clean)))
    rename = f"{platform}:rename_field:field={field}:to={field}_renamed:count=1"
    with serve_in_thread(today=TODAY, faults=[rename, f"{platform}:remove_field:field={field}"]) as handle:
        renamed, removed = profile(get(handle, platform).json()), profile(get(handle, platform).json())
    assert field not in renamed and field not in removed
    assert renamed[f"{field}_renamed"] == profile(clean)[field]
    assert {k: v for k, v in removed.items()} == {k: v for k, v in profile(clean).items() if k != field}


def _facebook_pages(handle, pages: int) -> list[dict]:
    page_id = region.accounts("facebook")[0].account_id
    url = f"{handle.url}/facebook/v25.0/{page_id}/posts?limit=3&access_token=sandbox-token"
    out = []
    for _ in range(pages):
        body = httpx.get(url).json()
        out.append(body)
        url = body["paging"]["next"]
    return out


def _mastodon_pages(handle, pages: int) -> list[tuple[list[dict], str]]:
    account_id = region.accounts("mastodon")[0].account_id
    url = f"{handle.url}/mastodon/api/v1/accounts/{account_id}/statuses?limit=3"
    out = []
    for _ in range(pages):
        answer = httpx.get(url)
        out.append((answer.json(), answer.links["next"]["url"]))
        url = out[-1][1]
    return out


def _x_pages(handle, pages: int) -> list[dict]:
    user = region.accounts("x")[0].account_id
    url, params, out = f"{handle.url}/x/2/users/{user}/tweets", {"max_results": 5}, []
    for _ in range(pages):
        out.append(httpx.get(url, params=params, headers=AUTH).json())
        params = {"max_results": 5, "pagination_token": out[-1]["meta"]["next_token"]}
    return out


def _bluesky_pages(handle, pages: int) -> list[dict]:
    actor = region.accounts("bluesky")[0].username
    url, params, out = f"{handle.url}/bluesky/xrpc/app.bsky.feed.getAuthorFeed", {"actor": actor, "limit": 3}, []
    for _ in range(pages):
        out.append(httpx.get(url, params=params).json())
        params = {"actor": actor, "limit": 3, "cursor": out[-1]["cursor"]}
    return out


@pytest.mark.parametrize(("platform", "pages", "items", "cursor"), [
    ("x", _x_pages, lambda b: b["data"], lambda b: b["meta"]["next_token"]),
    ("bluesky", _bluesky_pages, lambda b: b["feed"], lambda b: b["cursor"]),
])  # fmt: skip
def test_duplicates_and_loops_in_x_and_bluesky_paging(platform, pages, items, cursor) -> None:
    with serve_in_thread(today=TODAY, faults=[f"{platform}:duplicate_items"]) as handle:
        first, second = pages(handle, 2)
    assert items(second)[0] == items(first)[-1]
    with serve_in_thread(today=TODAY, faults=[f"{platform}:cursor_loop"]) as handle:
        first, second, third = pages(handle, 3)
    assert cursor(second) == cursor(first) and items(third) == items(second)


def test_cli_truth_applies_late_corrections() -> None:
    from typer.testing import CliRunner

    from sandbox.cli import app

    args = ["truth", "--start", "2026-11-25", "--end", "2026-11-25", "--today", "2026-11-26"]
    args += ["--platform", "mastodon", "--metrics-lookback-days", "10"]
    runs = [CliRunner().invoke(app, args + extra) for extra in ([], ["--fault", "mastodon:late_correction:share=1"])]
    assert [r.exit_code for r in runs] == [0, 0], [r.output for r in runs]
    clean, corrected = (sum(m["views"] for m in json.loads(r.stdout)["post_metrics"]) for r in runs)
    assert corrected > clean
    assert CliRunner().invoke(app, args + ["--fault", "mastodon:late_correction:after_days=1"]).exit_code != 0


def test_duplicate_items_repeat_the_previous_page_last_item() -> None:
    with serve_in_thread(today=TODAY, faults=["facebook:duplicate_items", "mastodon:duplicate_items"]) as handle:
        first, second = _facebook_pages(handle, 2)
        assert second["data"][0] == first["data"][-1] and len(second["data"]) == 4
        (m1, _), (m2, _) = _mastodon_pages(handle, 2)
        assert m2[0] == m1[-1] and len(m2) == 4
    with serve_in_thread(today=TODAY) as handle:  # without the fault: no overlap
        first, second = _facebook_pages(handle, 2)
        assert not {p["id"] for p in first["data"]} & {p["id"] for p in second["data"]}


def test_cursor_loop_points_back_to_the_second_page() -> None:
    with serve_in_thread(today=TODAY, faults=["facebook:cursor_loop", "mastodon:cursor_loop"]) as handle:
        first, second, third = _facebook_pages(handle, 3)
        assert second["paging"]["next"] == first["paging"]["next"] and third["data"] == second["data"]
        (_, n1), (_, n2) = _mastodon_pages(handle, 2)
        assert n2 == n1
    with serve_in_thread(today=TODAY) as handle:
        first, second = _facebook_pages(handle, 2)
        assert second["paging"]["next"] != first["paging"]["next"]


def test_late_correction_spec_validation() -> None:
    rule = FaultRule.from_spec("facebook:late_correction:share=0.5:after_days=10:percent=-3")
    assert (rule.stage, rule.late_correction().percent, rule.late_correction().after_days) == ("world", -3, 10)
    for bad in (
        "facebook:late_correction:after_days=2",
        "facebook:late_correction:share=0",
        "x:late_correction:percent=-100",
    ):
        with pytest.raises(ValueError):
            FaultRule.from_spec(bad)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_late_correction_restates_settled_posts_in_the_truth(platform) -> None:
    spec = f"{platform}:late_correction:share=0.5:after_days=7:percent=10"
    window = {"start": "2026-11-15", "end": "2026-11-25", "platform": platform, "metrics_lookback_days": 10}
    clean, corrected = truth(42, TODAY, **window), truth(42, TODAY, faults=[spec], **window)
    assert clean["account_daily"] == corrected["account_daily"]  # the settling increases are untouched
    published = {p["post_id"]: date.fromisoformat(p["created_at"][:10]) for p in truth(42, TODAY, platform=platform,
                 start="2026-11-05", end="2026-11-25")["posts"]}  # fmt: skip
    pairs = list(zip(clean["post_metrics"], corrected["post_metrics"], strict=True))
    changed = [(a, b) for a, b in pairs if a != b]
    assert changed, "no post was corrected"
    for before, after in pairs:
        age = (date.fromisoformat(after["as_of"]) - published[after["post_id"]]).days
        if age < 7:
            assert after == before  # still settling: never restated
        elif after != before:
            assert after["views"] == before["views"] * 110 // 100 and after["comments"] == before["comments"]
    corrected_posts = {after["post_id"] for _, after in changed}
    old_posts = {b["post_id"] for a, b in pairs if (date.fromisoformat(b["as_of"]) - published[b["post_id"]]).days >= 7}
    assert 0 < len(corrected_posts) < len(old_posts)  # a share of the settled posts, not all


def test_late_correction_served_by_the_api_equals_the_truth() -> None:
    spec = "facebook:late_correction:share=0.5:percent=-5"
    window = {"start": "2026-11-25", "end": "2026-11-25", "platform": "facebook", "metrics_lookback_days": 20}
    clean = {r["post_id"]: r for r in truth(42, TODAY, **window)["post_metrics"]}
    corrected = {r["post_id"]: r for r in truth(42, TODAY, faults=[spec], **window)["post_metrics"]}
    post_id = next(pid for pid in corrected if corrected[pid] != clean[pid])
    params = {"metric": "post_media_view", "period": "lifetime", "access_token": "sandbox-token"}

    def views(handle) -> int:
        answer = httpx.get(f"{handle.url}/facebook/v25.0/{post_id}/insights", params=params).json()
        return answer["data"][0]["values"][0]["value"]

    with serve_in_thread(today=TODAY, faults=[spec]) as handle:
        assert views(handle) == corrected[post_id]["views"] != clean[post_id]["views"]
        httpx.delete(f"{handle.url}/__sandbox__/faults")  # clearing the rule ends the correction
        assert views(handle) == clean[post_id]["views"]
        httpx.post(f"{handle.url}/__sandbox__/faults", json={"rules": [{"platform": "facebook", "kind":
                   "late_correction", "share": 0.5, "percent": -5}]}).raise_for_status()  # fmt: skip
        assert views(handle) == corrected[post_id]["views"]
