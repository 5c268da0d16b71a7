"""The X connector against the real sandbox over HTTP, reconciled with the sandbox truth."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import httpx
import pyarrow.parquet as pq
import pytest

from sandbox import region
from sandbox.server import serve_in_thread
from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.connectors import x
from socialpulse.connectors.client import AuthError, RetryPolicy
from socialpulse.extract import extract_account
from socialpulse.landing_schemas import entities
from tests.conftest import RUN_DS, SANDBOX_TODAY
from tests.plugins._connector_helpers import inject_fault

FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)
ENTITIES = {"user_snapshots", "posts", "post_metrics", "replies"}
MAIN, TRANSPORTS = region.accounts("x")

ACCOUNTS_YML = f"""
region: "Région Val-d'Argent"
timezone: Europe/Paris
platforms:
  x:
    api_version: "2"
    lookback_days: 3
    private_metrics: true
    full_archive_search: true
accounts:
  - key: {MAIN.key}
    platform: x
    account_id: "{MAIN.account_id}"
    name: "{MAIN.name}"
  - key: {TRANSPORTS.key}
    platform: x
    account_id: "{TRANSPORTS.account_id}"
    name: "{TRANSPORTS.name}"
"""
fault = partial(inject_fault, platform="x")


@pytest.fixture
def settings(home, sandbox, tmp_path, monkeypatch):
    """Settings pointed at the sandbox, a two-account X config and a user-context token."""
    from socialpulse.settings import Settings

    config = tmp_path / "accounts.yml"
    config.write_text(ACCOUNTS_YML, encoding="utf-8")
    monkeypatch.setenv("SOCIALPULSE_ACCOUNTS", str(config))
    monkeypatch.setenv("SOCIALPULSE_X_TOKEN", "sandbox-token")
    return Settings.from_env()


@pytest.fixture
def cfg(settings):
    return load_accounts(settings.config_file)


def landed(settings, entity: str) -> list[dict]:
    rows = []
    for path in sorted(settings.landing_dir.glob(f"platform=x/entity={entity}/ds=*/account=*.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def total_requests(url: str) -> int:
    return httpx.get(f"{url}/__sandbox__/stats").json()["total"]


def without_volatile(rows: list[dict]) -> list[tuple]:
    volatile = {"fetched_at", "_extracted_at", "_run_id"}
    return sorted((tuple(sorted((k, v) for k, v in r.items() if k not in volatile)) for r in rows), key=repr)


def landed_everything(settings) -> dict[str, list[tuple]]:
    return {e: without_volatile(landed(settings, e)) for e in entities("x")}


def test_entities_are_registered():
    assert set(entities("x")) == ENTITIES


def test_extract_reconciles_with_truth(settings, cfg, sandbox):
    acc = cfg.account(TRANSPORTS.key)
    result = extract_account(settings, cfg, acc, RUN_DS, days=5, run_id="t1", policy=FAST)
    assert set(result.rows) == ENTITIES and result.rows["user_snapshots"] == 1
    assert result.retries == 0 and result.throttled == 0
    start = RUN_DS - timedelta(days=4)
    t = truth(seed=42, today=SANDBOX_TODAY, start=start, end=RUN_DS, platform="x", metrics_lookback_days=0)
    expected_posts = {p["post_id"]: p for p in t["posts"] if p["account_id"] == acc.account_id}

    (snapshot,) = landed(settings, "user_snapshots")
    followers = {r["date"]: r["followers"] for r in t["account_daily"] if r["account_id"] == acc.account_id}
    assert snapshot["followers_count"] == followers[RUN_DS.isoformat()]
    assert snapshot["username"] == TRANSPORTS.username

    posts = {p["post_id"]: p for p in landed(settings, "posts")}
    assert set(posts) == set(expected_posts)
    for post_id, post in posts.items():
        assert post["created_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == expected_posts[post_id]["created_at"]
        assert post["permalink_url"] == expected_posts[post_id]["permalink_url"]
        fmt = expected_posts[post_id]["format"]
        assert post["media_type"] == (fmt if fmt in ("photo", "video") else None)
        assert (post["link_url"] is not None) == (fmt == "link")

    as_of = {m["post_id"]: m for m in t["post_metrics"] if m["as_of"] == RUN_DS.isoformat()}
    for row in landed(settings, "post_metrics"):
        m = as_of[row["post_id"]]
        assert row["impression_count"] == row["non_public_impression_count"] == m["views"]
        assert row["like_count"] == m["reactions_total"]
        assert row["retweet_count"] + row["quote_count"] == m["shares"]
        assert row["reply_count"] == m["comments"]
        assert row["url_link_clicks"] == m["clicks"]
        assert row["has_private_metrics"] is True
        assert row["is_promoted"] == expected_posts[row["post_id"]]["is_sponsored"]
        paid = row["promoted_impression_count"] or 0
        assert paid == m["views_paid"] and row["organic_impression_count"] == m["views"] - paid

    replies = landed(settings, "replies")
    expected_replies = {c["comment_id"]: c for c in t["comments"] if c["post_id"] in expected_posts}
    assert replies and {r["reply_id"] for r in replies} == set(expected_replies)
    for reply in replies:
        c = expected_replies[reply["reply_id"]]
        assert reply["post_id"] == c["post_id"] and reply["parent_reply_id"] == c["parent_id"]
        assert reply["is_from_account"] == c["is_from_page"]
    counts = {}
    for reply in replies:
        counts[reply["post_id"]] = counts.get(reply["post_id"], 0) + 1
    assert all(counts.get(p, 0) == as_of[p]["comments"] for p in posts)


def test_paging_covers_all_posts_and_old_posts_lack_private_metrics(settings, cfg, sandbox):
    """40 days: two timeline pages, recent search then full-archive search, posts past 30 days."""
    acc = cfg.account(TRANSPORTS.key)
    result = extract_account(settings, cfg, acc, RUN_DS, days=40, run_id="t", policy=FAST)
    start = RUN_DS - timedelta(days=39)
    t = truth(seed=42, today=SANDBOX_TODAY, start=start, end=RUN_DS, platform="x", metrics_lookback_days=0)
    expected = {p["post_id"] for p in t["posts"] if p["account_id"] == acc.account_id}
    assert len(expected) > x.MAX_RESULTS, "the window needs more than one timeline page"
    assert {p["post_id"] for p in landed(settings, "posts")} == expected
    assert result.rows["replies"] == sum(1 for c in t["comments"] if c["post_id"] in expected)
    # OR-batched conversation searches: far fewer calls than posts (X allows 300 searches / 15 min)
    assert result.requests < len(expected) // 3, result.requests
    metrics = landed(settings, "post_metrics")
    old = [m for m in metrics if not m["has_private_metrics"]]
    assert old and all(m["url_link_clicks"] is None and m["is_promoted"] is None for m in old)
    assert all(m["impression_count"] is not None for m in old), "public metrics never expire"


def test_throttle_429_is_waited_out_then_the_result_is_identical(settings, cfg, sandbox):
    acc = cfg.account(MAIN.key)
    extract_account(settings, cfg, acc, RUN_DS, days=3, run_id="clean", policy=FAST)
    clean = landed_everything(settings)
    fault(sandbox, kind="http_429", count=2, seconds=0.2, path="/search/")
    result = extract_account(settings, cfg, acc, RUN_DS, days=3, run_id="faulty", policy=FAST)
    assert result.throttled == 2 and result.retries == 0
    assert landed_everything(settings) == clean


def test_throttle_waits_until_the_reset_header(sandbox):
    """A 429 sleeps until x-rate-limit-reset (the epoch second the sandbox announces)."""
    fault(sandbox, kind="http_429", count=1, seconds=30, path="/users/")
    slept: list[float] = []
    client = x.XClient(f"{sandbox}/x", "sandbox-token", account_key="k", policy=FAST, sleep=slept.append)
    body = client.get(f"users/{MAIN.account_id}")
    assert body["data"]["id"] == MAIN.account_id
    assert client.stats.throttled == 1 and 28 <= slept[0] <= 31


def test_server_errors_are_retried(settings, cfg, sandbox):
    fault(sandbox, kind="http_500", count=3)
    result = extract_account(settings, cfg, cfg.account(MAIN.key), RUN_DS, days=2, run_id="t", policy=FAST)
    assert result.retries == 3 and result.rows["user_snapshots"] == 1


@pytest.mark.parametrize("how", ["expired_token_value", "expired_token_fault"])
def test_auth_error_fails_fast_and_lands_nothing(settings, cfg, sandbox, monkeypatch, how):
    if how == "expired_token_value":
        monkeypatch.setenv("SOCIALPULSE_X_TOKEN", "sandbox-expired-token")
    else:
        fault(sandbox, kind="expired_token", count=1)
    before = total_requests(sandbox)
    with pytest.raises(AuthError, match=r"401.*expire after 2 hours.*offline\.access") as err:
        extract_account(settings, cfg, cfg.account(MAIN.key), RUN_DS, days=2, run_id="t", policy=FAST)
    assert total_requests(sandbox) - before == 1, "no retry on an auth error"
    assert "sandbox-expired-token" not in str(err.value)
    assert not settings.landing_dir.exists() or not any(settings.landing_dir.rglob("*.parquet"))


def test_app_only_token_needs_private_metrics_off(settings, cfg, sandbox, monkeypatch):
    monkeypatch.setenv("SOCIALPULSE_X_TOKEN", "sandbox-app-token")
    with pytest.raises(AuthError, match="user-context token"):
        extract_account(settings, cfg, cfg.account(MAIN.key), RUN_DS, days=2, run_id="t", policy=FAST)
    config = settings.config_file
    config.write_text(config.read_text().replace("private_metrics: true", "private_metrics: false"))
    public_only = load_accounts(config)
    result = extract_account(
        settings, public_only, public_only.account(MAIN.key), RUN_DS, days=2, run_id="t", policy=FAST
    )
    assert result.rows["post_metrics"] > 0
    assert all(m["has_private_metrics"] is False and m["engagements"] is None for m in landed(settings, "post_metrics"))


def test_no_token_and_no_replier_identity_reaches_landing(settings, cfg, sandbox):
    extract_account(settings, cfg, cfg.account(TRANSPORTS.key), RUN_DS, days=3, run_id="t", policy=FAST)
    values: set[str] = set()
    for path in settings.landing_dir.rglob("*.parquet"):
        for row in pq.read_table(path).to_pylist():
            values.update(str(v) for v in row.values() if v is not None)
    assert not any("sandbox-token" in v for v in values)
    replies = landed(settings, "replies")
    outsiders = [r for r in replies if not r["is_from_account"]]
    assert outsiders and all(len(r["author_pseudo_id"]) == 32 for r in outsiders)
    t = truth(seed=42, today=SANDBOX_TODAY, start=RUN_DS - timedelta(days=2), end=RUN_DS, platform="x")
    landed_ids = {r["reply_id"] for r in replies}
    people = {c["author_id"] for c in t["comments"] if c["comment_id"] in landed_ids and not c["is_from_page"]}
    assert people and not people & values, "raw replier ids must never be landed"


def test_paces_when_remaining_is_low():
    fresh = serve_in_thread(port=0, seed=42, today=SANDBOX_TODAY, quiet=True)  # its own budgets
    try:
        httpx.post(
            f"{fresh.url}/__sandbox__/ratelimit", json={"platform": "x", "budgets": {"users": 20}}
        ).raise_for_status()
        slept: list[float] = []
        client = x.XClient(f"{fresh.url}/x", "sandbox-token", account_key="k", policy=FAST, sleep=slept.append)
        for _ in range(18):
            client.get(f"users/{MAIN.account_id}")
        assert client.stats.paced_seconds > 0 and client.stats.throttled == 0
        assert max(slept) <= FAST.pace_max_delay
    finally:
        fresh.stop()
