"""The Bluesky connector against the real sandbox over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pyarrow.parquet as pq
import pytest

from sandbox import region
from sandbox.platforms.bluesky import post_counts
from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.connectors import bluesky
from socialpulse.connectors.client import AuthError, RetryPolicy
from socialpulse.extract import extract_account
from tests.conftest import RUN_DS, SANDBOX_TODAY
from tests.plugins._connector_helpers import inject_fault, landed, sandbox_stats

FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)
ACCOUNT = region.accounts("bluesky")[0]
landed_rows = partial(landed, platform="bluesky")
fault = partial(inject_fault, platform="bluesky")
stats = sandbox_stats


@pytest.fixture
def settings(home, sandbox, tmp_path, monkeypatch):
    """Settings with a Bluesky-only accounts file, read after the sandbox fixture set the URL."""
    from socialpulse.settings import Settings

    config = tmp_path / "accounts.yml"
    config.write_text(
        "region: test\ntimezone: Europe/Paris\nplatforms:\n  bluesky:\n    lookback_days: 3\n"
        f'accounts:\n  - key: {ACCOUNT.key}\n    platform: bluesky\n    account_id: "{ACCOUNT.account_id}"\n'
        f'    name: "{ACCOUNT.name}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("SOCIALPULSE_ACCOUNTS", str(config))
    monkeypatch.setenv("SOCIALPULSE_BLUESKY_TOKEN", "sandbox-token")
    return Settings.from_env()


@pytest.fixture
def cfg(settings):
    return load_accounts(settings.config_file)


def without_volatile(rows):
    volatile = {"fetched_at", "_extracted_at", "_run_id"}
    return sorted((tuple(sorted((k, v) for k, v in r.items() if k not in volatile)) for r in rows), key=repr)


def run(settings, cfg, days=4, run_id="t"):
    return extract_account(settings, cfg, cfg.account(ACCOUNT.key), RUN_DS, days=days, run_id=run_id, policy=FAST)


def test_extracts_the_account_and_reconciles_with_truth(settings, cfg, sandbox):
    days = 12
    result = run(settings, cfg, days=days)
    assert set(result.rows) == {"profile_snapshots", "posts", "comments"}
    assert result.retries == 0 and result.throttled == 0
    start = RUN_DS - timedelta(days=days - 1)
    expected = truth(seed=42, today=SANDBOX_TODAY, start=start, end=RUN_DS, platform="bluesky")

    (profile,) = landed_rows(settings, "profile_snapshots")
    assert profile["did"] == ACCOUNT.account_id and profile["handle"] == ACCOUNT.username
    last_day = {r["date"]: r for r in expected["account_daily"]}[RUN_DS.isoformat()]
    assert profile["followers_count"] == last_day["followers"]

    posts = {p["post_uri"]: p for p in landed_rows(settings, "posts")}
    assert sorted(posts) == sorted(p["post_id"] for p in expected["posts"])
    for t in expected["posts"]:
        landed = posts[t["post_id"]]
        assert landed["text"] == (t["message"] or "")
        assert landed["permalink_url"] == t["permalink_url"]
        assert landed["created_at"].isoformat().replace("+00:00", "Z") == t["created_at"]
    metrics = {(m["post_id"], m["as_of"]): m for m in expected["post_metrics"]}
    for uri, landed in posts.items():
        m = metrics[(uri, RUN_DS.isoformat())]
        assert landed["like_count"] == m["reactions_total"]
        assert landed["repost_count"] + landed["quote_count"] == m["shares"]
        assert landed["comments_total_count"] == m["comments"]

    comments = landed_rows(settings, "comments")
    assert sorted(c["rkey"] for c in comments) == sorted(c["comment_id"] for c in expected["comments"])
    by_id = {c["comment_id"]: c for c in expected["comments"]}
    for c in comments:
        t = by_id[c["rkey"]]
        assert c["parent_rkey"] == t["parent_id"] and c["is_from_account"] == t["is_from_page"]
        assert c["text"] == t["message"]
    assert any(c["is_from_account"] for c in comments) and any(c["parent_rkey"] for c in comments)


def test_feed_paging_covers_every_post_once(settings, cfg, sandbox, monkeypatch):
    monkeypatch.setattr(bluesky, "FEED_PAGE_SIZE", 3)
    before = stats(sandbox)["total"]
    result = run(settings, cfg, days=10)
    uris = [p["post_uri"] for p in landed_rows(settings, "posts")]
    assert len(uris) == len(set(uris)) == result.rows["posts"] > 6
    world_posts = truth(42, SANDBOX_TODAY, RUN_DS - timedelta(days=9), RUN_DS, platform="bluesky")["posts"]
    assert sorted(uris) == sorted(p["post_id"] for p in world_posts)
    feed_calls = stats(sandbox)["total"] - before - 1 - len(uris)  # minus profile and threads
    assert feed_calls >= len(uris) // 3


def test_no_token_and_no_replier_identity_reaches_landing(settings, cfg, sandbox):
    run(settings, cfg, days=6)
    values: set[str] = set()
    for path in settings.landing_dir.rglob("*.parquet"):
        for row in pq.read_table(path).to_pylist():
            values.update(str(v) for v in row.values() if v is not None)
    assert not any("sandbox-token" in v for v in values)
    assert not any("did:plc:" in v and ACCOUNT.account_id not in v for v in values), "no replier DID"
    assert not any(v.endswith(".bsky.social") and v != ACCOUNT.username for v in values), "no replier handle"
    comments = landed_rows(settings, "comments")
    outsiders = [c for c in comments if not c["is_from_account"]]
    assert outsiders and all(len(c["author_pseudo_id"]) == 32 for c in outsiders)
    people = {
        c["author_id"] for c in truth(42, SANDBOX_TODAY, RUN_DS - timedelta(days=5), RUN_DS, "bluesky")["comments"]
    }
    assert not (people - {ACCOUNT.account_id}) & values


def test_throttle_429_is_waited_out_then_the_result_is_identical(settings, cfg, sandbox):
    run(settings, cfg, days=3, run_id="clean")
    clean = {e: without_volatile(landed_rows(settings, e)) for e in bluesky.LANDING_SCHEMAS}
    fault(sandbox, kind="http_429", count=2, path="getPostThread")
    result = run(settings, cfg, days=3, run_id="faulty")
    assert result.throttled == 2
    assert {e: without_volatile(landed_rows(settings, e)) for e in bluesky.LANDING_SCHEMAS} == clean


def test_throttle_waits_until_the_reset_header(sandbox):
    slept: list[float] = []
    client = bluesky.XrpcClient(f"{sandbox}/bluesky", None, account_key="k", policy=FAST, sleep=slept.append)
    fault(sandbox, kind="http_429", count=1, seconds=3)
    body = client.xrpc("app.bsky.actor.getProfile", {"actor": ACCOUNT.account_id})
    assert body["did"] == ACCOUNT.account_id
    assert client.stats.throttled == 1 and 1.5 <= slept[0] <= 4.0


def test_server_errors_are_retried(settings, cfg, sandbox):
    fault(sandbox, kind="http_500", count=3)
    result = run(settings, cfg, days=2)
    assert result.retries == 3 and result.rows["profile_snapshots"] == 1


def test_expired_token_fails_fast_and_lands_nothing(settings, cfg, sandbox, monkeypatch):
    monkeypatch.setenv("SOCIALPULSE_BLUESKY_TOKEN", "sandbox-expired-jwt")
    before = stats(sandbox)["total"]
    with pytest.raises(AuthError, match=r"ExpiredToken.*createSession") as err:
        run(settings, cfg, days=2)
    assert stats(sandbox)["total"] - before == 1, "no retry on an auth error"
    assert "sandbox-expired-jwt" not in str(err.value)
    assert not settings.landing_dir.exists() or not any(settings.landing_dir.rglob("*.parquet"))


def test_expired_token_fault_and_public_read(settings, cfg, sandbox, monkeypatch):
    fault(sandbox, kind="expired_token", count=1)
    with pytest.raises(AuthError):
        run(settings, cfg, days=1)
    monkeypatch.setenv("SOCIALPULSE_BLUESKY_TOKEN", "not-a-valid-jwt")
    with pytest.raises(AuthError, match="InvalidToken"):
        run(settings, cfg, days=1)
    from socialpulse.connectors.base import ExtractContext, Window

    ctx = ExtractContext(
        base_url=f"{sandbox}/bluesky",
        token="not-a-valid-jwt",
        account=cfg.account(ACCOUNT.key),
        window=Window(RUN_DS, RUN_DS),
        pseudonym_key="k",
        now=datetime.now(UTC),
        options={"public_read": True},
        policy=FAST,
    )
    assert len(bluesky.extract(ctx).entities["profile_snapshots"]) == 1, "public reads need no token"


def test_post_counts_split_shares(sandbox):
    from sandbox.world import World

    world = World(42)
    post = next(iter(world.posts_between(ACCOUNT, RUN_DS - timedelta(days=30), RUN_DS)))
    counts = post_counts(world, post, RUN_DS)
    metrics = world.post_metrics(post, RUN_DS)
    assert counts["repostCount"] + counts["quoteCount"] == metrics.shares
    assert counts["likeCount"] == metrics.reactions_total


def test_slows_down_as_the_ratelimit_budget_runs_out():
    from sandbox.server import serve_in_thread

    fresh = serve_in_thread(port=0, seed=42, today=SANDBOX_TODAY, quiet=True)  # its own budget
    try:
        httpx.post(
            f"{fresh.url}/__sandbox__/ratelimit", json={"platform": "bluesky", "budget": 40, "window_seconds": 300}
        ).raise_for_status()
        slept: list[float] = []
        client = bluesky.XrpcClient(f"{fresh.url}/bluesky", None, account_key="k", policy=FAST, sleep=slept.append)
        for _ in range(36):
            client.xrpc("app.bsky.actor.getProfile", {"actor": ACCOUNT.account_id})
        assert client.stats.paced_seconds > 0 and client.stats.throttled == 0
        assert max(slept) <= FAST.pace_max_delay
    finally:
        fresh.stop()
