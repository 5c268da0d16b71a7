"""The LinkedIn connector against the real sandbox over HTTP."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import httpx
import pyarrow.parquet as pq
import pytest

from socialpulse.config import load_accounts
from socialpulse.connectors import linkedin
from socialpulse.connectors.client import AuthError, RetryPolicy
from socialpulse.extract import extract_account
from tests.conftest import RUN_DS, SANDBOX_TODAY
from tests.plugins._connector_helpers import inject_fault, landed, sandbox_stats

FAST = RetryPolicy(backoff_base=0.01, backoff_max=0.05, pace_max_delay=0.01)
TODAY = SANDBOX_TODAY
ACCOUNTS_YML = """\
region: "Région Val-d'Argent"
timezone: Europe/Paris
platforms:
  linkedin:
    api_version: "202609"
    lookback_days: 3
accounts:
  - key: li_region_main
    platform: linkedin
    account_id: "10493217"
    name: "Région Val-d'Argent"
  - key: li_region_transports
    platform: linkedin
    account_id: "10493288"
    name: "Val-d'Argent Mobilités"
"""
landed_rows = partial(landed, platform="linkedin")
fault = partial(inject_fault, platform="linkedin")
stats = sandbox_stats


@pytest.fixture
def settings(home, sandbox, tmp_path, monkeypatch):
    """Settings read after the sandbox fixture has pointed the environment at it."""
    from socialpulse.settings import Settings

    config = tmp_path / "accounts.yml"
    config.write_text(ACCOUNTS_YML, encoding="utf-8")
    monkeypatch.setenv("SOCIALPULSE_ACCOUNTS", str(config))
    monkeypatch.setenv("SOCIALPULSE_LINKEDIN_TOKEN", "sandbox-token")
    return Settings.from_env()


@pytest.fixture
def cfg(settings):
    return load_accounts(settings.config_file)


def entities():
    return list(linkedin.LANDING_SCHEMAS)


def without_volatile(rows):
    return sorted(
        (
            tuple(sorted((k, v) for k, v in r.items() if k not in {"fetched_at", "_extracted_at", "_run_id"}))
            for r in rows
        ),
        key=repr,
    )


def window_truth(days: int):
    from sandbox.truth import truth

    return truth(seed=42, today=TODAY, start=RUN_DS - timedelta(days=days - 1), end=RUN_DS, platform="linkedin")


def test_extracts_a_page_into_landing(settings, cfg, sandbox):
    acc = cfg.account("li_region_transports")
    result = extract_account(settings, cfg, acc, RUN_DS, days=5, run_id="t1", policy=FAST)
    assert set(result.rows) == set(entities())
    assert result.rows["organization_snapshots"] == 1
    assert result.rows["follower_statistics"] == 5 and result.rows["share_statistics"] == 5
    assert result.rows["posts"] > 0 and result.rows["post_statistics"] == result.rows["posts"]
    assert result.retries == 0 and result.throttled == 0
    (snapshot,) = landed_rows(settings, "organization_snapshots")
    assert snapshot["api_version"] == "202609"
    assert snapshot["token_expires_at"] is not None
    assert result.token_expires_at == snapshot["token_expires_at"].isoformat()
    assert snapshot["token_expires_at"] - snapshot["token_authorized_at"] == timedelta(days=60)


def test_landed_values_reconcile_with_truth(settings, cfg, sandbox, monkeypatch):
    monkeypatch.setattr(linkedin, "PAGE_SIZE", 3)  # force several pages of posts and comments
    acc = cfg.account("li_region_main")
    result = extract_account(settings, cfg, acc, RUN_DS, days=6, run_id="t", policy=FAST)
    t = window_truth(6)
    truth_posts = {p["post_id"]: p for p in t["posts"] if p["account_id"] == acc.account_id}
    posts = landed_rows(settings, "posts")
    assert {p["post_urn"] for p in posts} == set(truth_posts), "paging covers every post of the window"
    assert result.requests > len(posts) + 5
    formats = {"image": "photo", "video": "video", "article": "link", "none": "text"}
    for post in posts:
        assert formats[post["media_type"]] == truth_posts[post["post_urn"]]["format"]
        assert post["permalink_url"] == truth_posts[post["post_urn"]]["permalink_url"]

    last = {m["post_id"]: m for m in t["post_metrics"] if m["as_of"] == RUN_DS.isoformat()}
    for row in landed_rows(settings, "post_statistics"):
        m = last[row["post_urn"]]
        assert row["impression_count"] == m["views"] - m["views_paid"], "organic only"
        assert (
            row["like_count"]
            == m["reactions_total"]
            == sum(row[f"reaction_{r.lower()}_count"] for r in linkedin.REACTIONS)
        )
        assert row["comments_count"] == m["comments"] == row["comment_count"]

    daily = {r["date"]: r for r in t["account_daily"] if r["account_id"] == acc.account_id}
    for row in landed_rows(settings, "follower_statistics"):
        d = daily[row["time_range_start"].date().isoformat()]
        assert row["organic_follower_gain"] + row["paid_follower_gain"] == d["follows"] - d["unfollows"]
    for row in landed_rows(settings, "share_statistics"):
        d = daily[row["time_range_start"].date().isoformat()]
        assert row["impression_count"] == d["views"] - d["views_paid"]

    comments = landed_rows(settings, "comments")
    truth_comments = {c["comment_id"]: c for c in t["comments"] if c["post_id"] in truth_posts}
    assert {c["comment_urn"] for c in comments} == set(truth_comments), "replies are fetched too"
    for c in comments:
        assert c["is_from_account"] == truth_comments[c["comment_urn"]]["is_from_page"]
        assert c["parent_comment_urn"] == truth_comments[c["comment_urn"]]["parent_id"]


def all_landed_values(settings) -> set[str]:
    values: set[str] = set()
    for path in settings.landing_dir.rglob("*.parquet"):
        for row in pq.read_table(path).to_pylist():
            values.update(str(v) for v in row.values() if v is not None)
    return values


def test_no_token_and_no_commenter_identity_reaches_landing(settings, cfg, sandbox):
    from sandbox.platforms.linkedin import member_urn

    extract_account(settings, cfg, cfg.account("li_region_main"), RUN_DS, days=4, run_id="t", policy=FAST)
    values = all_landed_values(settings)
    assert not any("sandbox-token" in v for v in values)
    comments = landed_rows(settings, "comments")
    outsiders = [c for c in comments if not c["is_from_account"]]
    assert outsiders and all(len(c["author_pseudo_id"]) == 32 for c in outsiders)
    landed = {c["comment_urn"] for c in comments}
    people = {
        c["author_id"] for c in window_truth(4)["comments"] if c["comment_id"] in landed and not c["is_from_page"]
    }
    assert people, "the window has comments from members"
    assert not people & values, "raw member ids must never be landed"
    assert not {member_urn(p) for p in people} & values, "nor their person URNs"
    assert not any("urn:li:person:" in v for v in values)


def test_throttle_429_is_retried_then_the_result_is_identical(settings, cfg, sandbox):
    acc = cfg.account("li_region_transports")
    extract_account(settings, cfg, acc, RUN_DS, days=3, run_id="clean", policy=FAST)
    clean = {e: without_volatile(landed_rows(settings, e)) for e in entities()}

    fault(sandbox, kind="http_429", count=2, path="/socialMetadata/")
    result = extract_account(settings, cfg, acc, RUN_DS, days=3, run_id="faulty", policy=FAST)
    assert result.throttled == 2
    assert {e: without_volatile(landed_rows(settings, e)) for e in entities()} == clean


def test_exhausted_daily_quota_fails_with_a_clear_message(settings, cfg, sandbox):
    fault(sandbox, kind="http_429", path="/networkSizes/")  # every call: the day's quota is gone
    before = stats(sandbox)["total"]
    with pytest.raises(linkedin.QuotaExhausted, match=r"daily quota .* exhausted until 00:00 UTC"):
        extract_account(settings, cfg, cfg.account("li_region_main"), RUN_DS, days=2, run_id="t", policy=FAST)
    # introspection + organizations + networkSizes tried 1 + MAX_THROTTLE_RETRIES times
    assert stats(sandbox)["total"] - before == 2 + 1 + linkedin.MAX_THROTTLE_RETRIES
    assert not settings.landing_dir.exists() or not any(settings.landing_dir.rglob("*.parquet"))


def test_server_errors_are_retried(settings, cfg, sandbox):
    fault(sandbox, kind="http_500", count=3, path="/rest/")
    result = extract_account(settings, cfg, cfg.account("li_region_main"), RUN_DS, days=2, run_id="t", policy=FAST)
    assert result.retries == 3
    assert result.rows["organization_snapshots"] == 1


def test_expired_token_fails_fast_and_lands_nothing(settings, cfg, sandbox, monkeypatch):
    monkeypatch.setenv("SOCIALPULSE_LINKEDIN_TOKEN", "sandbox-expired-token")
    before = stats(sandbox)["total"]
    with pytest.raises(AuthError, match=r"token is expired.*re-authorize"):
        extract_account(settings, cfg, cfg.account("li_region_main"), RUN_DS, days=2, run_id="t", policy=FAST)
    assert stats(sandbox)["total"] - before == 1, "one introspection, no retry"
    assert not settings.landing_dir.exists() or not any(settings.landing_dir.rglob("*.parquet"))


def test_token_dying_mid_run_is_a_401_that_fails_fast(settings, cfg, sandbox):
    fault(sandbox, kind="expired_token", path="/rest/")
    before = stats(sandbox)["total"]
    with pytest.raises(AuthError, match=r"EXPIRED_ACCESS_TOKEN.*re-authorize") as err:
        extract_account(settings, cfg, cfg.account("li_region_main"), RUN_DS, days=2, run_id="t", policy=FAST)
    assert stats(sandbox)["total"] - before == 2, "introspection, then one REST call"
    assert "sandbox-token" not in str(err.value)


def test_sunset_version_names_the_setting(settings, cfg, sandbox, tmp_path, monkeypatch):
    from socialpulse.connectors.client import ApiError

    config = tmp_path / "old.yml"
    config.write_text(ACCOUNTS_YML.replace('"202609"', '"202410"'), encoding="utf-8")
    old = load_accounts(config)
    with pytest.raises(ApiError, match=r"426.*api_version"):
        extract_account(settings, old, old.account("li_region_main"), RUN_DS, days=2, run_id="t", policy=FAST)


def test_restli_query_encoding():
    query = linkedin.restli_query(
        {
            "q": "organizationalEntity",
            "organizationalEntity": "urn:li:organization:1",
            "timeIntervals": {"timeRange": {"start": 0, "end": 86400000}, "timeGranularityType": "DAY"},
            "shares": ["urn:li:share:1", "urn:li:share:2"],
        }
    )
    assert query == (
        "q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A1"
        "&timeIntervals=(timeRange:(start:0,end:86400000),timeGranularityType:DAY)"
        "&shares=List(urn%3Ali%3Ashare%3A1,urn%3Ali%3Ashare%3A2)"
    )
    assert linkedin.parse_restli("List(urn:li:share:1,urn:li:share:2)") == ["urn:li:share:1", "urn:li:share:2"]


def test_requests_leave_in_restli_form():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"elements": []})

    client = linkedin.LinkedInClient(
        "http://example.test", "tok", account_key="k", transport=httpx.MockTransport(handler), policy=FAST
    )
    client.get("posts", {"q": "author", "author": "urn:li:organization:7", "t": {"a": ["urn:li:x:1"]}})
    (request,) = seen
    assert request.url.path == "/rest/posts"
    assert request.url.query.decode() == "q=author&author=urn%3Ali%3Aorganization%3A7&t=(a:List(urn%3Ali%3Ax%3A1))"
    assert request.headers["Linkedin-Version"] == linkedin.DEFAULT_VERSION
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert request.headers["Authorization"] == "Bearer tok" and "tok" not in str(request.url)


def test_introspection_can_be_switched_off(settings, cfg, sandbox, tmp_path):
    config = tmp_path / "no_introspection.yml"
    config.write_text(ACCOUNTS_YML.replace("    lookback_days: 3\n", "    lookback_days: 3\n    introspect: false\n"))
    quiet = load_accounts(config)
    assert quiet.platforms["linkedin"].options == {"introspect": False}
    result = extract_account(settings, quiet, quiet.account("li_region_main"), RUN_DS, days=1, run_id="t", policy=FAST)
    assert result.token_expires_at is None
    (snapshot,) = landed_rows(settings, "organization_snapshots")
    assert snapshot["token_expires_at"] is None and snapshot["followers_count"] > 0
