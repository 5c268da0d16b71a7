"""The Mastodon connector against the real sandbox over HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pyarrow.parquet as pq
import pytest

from sandbox import region
from sandbox.platforms.mastodon import person_account_id, status_counts
from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.connectors import mastodon
from socialpulse.connectors.base import ExtractContext, Window
from socialpulse.connectors.client import AuthError, RetryPolicy
from socialpulse.extract import extract_account
from tests.conftest import RUN_DS, SANDBOX_TODAY
from tests.plugins._connector_helpers import inject_fault, landed, sandbox_stats

FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)
MAIN, TRANSPORTS = region.accounts("mastodon")
landed_rows = partial(landed, platform="mastodon")
fault = partial(inject_fault, platform="mastodon")
stats = sandbox_stats


@pytest.fixture
def settings(home, sandbox, tmp_path, monkeypatch):
    """Settings with a Mastodon-only accounts file, read after the sandbox fixture set the URL."""
    from socialpulse.settings import Settings

    entries = "".join(
        f'  - key: {a.key}\n    platform: mastodon\n    account_id: "{a.account_id}"\n    name: "{a.name}"\n'
        for a in (MAIN, TRANSPORTS)
    )
    config = tmp_path / "accounts.yml"
    config.write_text(
        "region: test\ntimezone: Europe/Paris\nplatforms:\n  mastodon:\n    lookback_days: 3\n"
        f"    instance: social.valdargent.fr\naccounts:\n{entries}",
        encoding="utf-8",
    )
    monkeypatch.setenv("SOCIALPULSE_ACCOUNTS", str(config))
    monkeypatch.setenv("SOCIALPULSE_MASTODON_TOKEN", "sandbox-token")
    return Settings.from_env()


@pytest.fixture
def cfg(settings):
    return load_accounts(settings.config_file)


def without_volatile(rows):
    volatile = {"fetched_at", "_extracted_at", "_run_id"}
    return sorted((tuple(sorted((k, v) for k, v in r.items() if k not in volatile)) for r in rows), key=repr)


def run(settings, cfg, account=MAIN, days=4, run_id="t"):
    return extract_account(settings, cfg, cfg.account(account.key), RUN_DS, days=days, run_id=run_id, policy=FAST)


@pytest.mark.parametrize("account", [MAIN, TRANSPORTS], ids=lambda a: a.key)
def test_extracts_an_account_and_reconciles_with_truth(settings, cfg, sandbox, account):
    days = 12
    result = run(settings, cfg, account, days=days)
    assert set(result.rows) == {"account_snapshots", "posts", "comments"}
    assert result.retries == 0 and result.throttled == 0
    expected = truth(42, SANDBOX_TODAY, RUN_DS - timedelta(days=days - 1), RUN_DS, platform="mastodon")
    mine = {p["post_id"] for p in expected["posts"] if p["account_id"] == account.account_id}

    (snapshot,) = landed_rows(settings, "account_snapshots")
    daily = {(r["account_id"], r["date"]): r for r in expected["account_daily"]}
    assert snapshot["followers_count"] == daily[(account.account_id, RUN_DS.isoformat())]["followers"]
    assert snapshot["acct"] == account.username

    posts = {p["status_id"]: p for p in landed_rows(settings, "posts")}
    assert sorted(posts) == sorted(mine)
    metrics = {m["post_id"]: m for m in expected["post_metrics"] if m["as_of"] == RUN_DS.isoformat()}
    for t in expected["posts"]:
        if t["post_id"] in mine:
            landed = posts[t["post_id"]]
            assert landed["text"] == t["message"], "HTML stripped back to the text"
            assert landed["url"] == t["permalink_url"]
            assert landed["created_at"].isoformat().replace("+00:00", "Z") == t["created_at"]
            m = metrics[t["post_id"]]
            assert (landed["favourites_count"], landed["reblogs_count"]) == (m["reactions_total"], m["shares"])
            assert landed["comments_total_count"] == m["comments"]

    comments = landed_rows(settings, "comments")
    by_id = {c["comment_id"]: c for c in expected["comments"] if c["post_id"] in mine}
    assert sorted(c["status_id"] for c in comments) == sorted(by_id)
    for c in comments:
        t = by_id[c["status_id"]]
        assert c["parent_status_id"] == t["parent_id"] and c["is_from_account"] == t["is_from_page"]
        assert c["text"] == t["message"], "mentions removed, text intact"
    assert any(c["is_from_account"] for c in comments) and any(c["parent_status_id"] for c in comments)


def test_link_header_paging_covers_every_post_once(settings, cfg, sandbox, monkeypatch):
    monkeypatch.setattr(mastodon, "PAGE_SIZE", 2)
    before = stats(sandbox)["total"]
    result = run(settings, cfg, days=10)
    ids = [p["status_id"] for p in landed_rows(settings, "posts")]
    assert len(ids) == len(set(ids)) == result.rows["posts"] > 4
    expected = truth(42, SANDBOX_TODAY, RUN_DS - timedelta(days=9), RUN_DS, platform="mastodon")["posts"]
    assert sorted(ids) == sorted(p["post_id"] for p in expected if p["account_id"] == MAIN.account_id)
    assert stats(sandbox)["total"] - before - 1 - len(ids) >= len(ids) // 2, "several statuses pages"


def test_no_token_and_no_replier_identity_reaches_landing(settings, cfg, sandbox):
    run(settings, cfg, TRANSPORTS, days=6)
    values: set[str] = set()
    for path in settings.landing_dir.rglob("*.parquet"):
        for row in pq.read_table(path).to_pylist():
            values.update(str(v) for v in row.values() if v is not None)
    assert not any("sandbox-token" in v for v in values)
    people = {
        c["author_id"]: c
        for c in truth(42, SANDBOX_TODAY, RUN_DS - timedelta(days=5), RUN_DS, "mastodon")["comments"]
        if not c["is_from_page"]
    }
    assert people
    assert not {person_account_id(p) for p in people} & values, "no replier account id"
    handles = set(re.findall(r"@[\w.-]+", " ".join(values)))
    assert handles <= {f"@{a.username}" for a in (MAIN, TRANSPORTS)}, "no mention or acct of a person"
    outsiders = [c for c in landed_rows(settings, "comments") if not c["is_from_account"]]
    assert outsiders and all(len(c["author_pseudo_id"]) == 32 for c in outsiders)


def test_throttle_429_is_waited_out_then_the_result_is_identical(settings, cfg, sandbox):
    run(settings, cfg, days=3, run_id="clean")
    clean = {e: without_volatile(landed_rows(settings, e)) for e in mastodon.LANDING_SCHEMAS}
    fault(sandbox, kind="http_429", count=2, path="/context")
    result = run(settings, cfg, days=3, run_id="faulty")
    assert result.throttled == 2
    assert {e: without_volatile(landed_rows(settings, e)) for e in mastodon.LANDING_SCHEMAS} == clean


def test_throttle_waits_until_the_iso_reset_time(sandbox):
    slept: list[float] = []
    client = mastodon.MastodonClient(f"{sandbox}/mastodon", None, account_key="k", policy=FAST, sleep=slept.append)
    fault(sandbox, kind="http_429", count=1, seconds=3)
    body, _ = client.get(f"api/v1/accounts/{MAIN.account_id}")
    assert body["id"] == MAIN.account_id
    assert client.stats.throttled == 1 and 1.5 <= slept[0] <= 4.0


def test_html_server_errors_are_retried(settings, cfg, sandbox):
    fault(sandbox, kind="http_500", count=3)
    result = run(settings, cfg, days=2)
    assert result.retries == 3 and result.rows["account_snapshots"] == 1


def test_invalid_token_fails_fast_and_lands_nothing(settings, cfg, sandbox, monkeypatch):
    monkeypatch.setenv("SOCIALPULSE_MASTODON_TOKEN", "sandbox-expired-token")
    before = stats(sandbox)["total"]
    with pytest.raises(AuthError, match=r"401: The access token is invalid.*new application token") as err:
        run(settings, cfg, days=2)
    assert stats(sandbox)["total"] - before == 1, "no retry on an auth error"
    assert "sandbox-expired-token" not in str(err.value)
    assert not settings.landing_dir.exists() or not any(settings.landing_dir.rglob("*.parquet"))


def test_expired_token_fault_and_public_read(settings, cfg, sandbox):
    fault(sandbox, kind="expired_token", count=1)
    with pytest.raises(AuthError):
        run(settings, cfg, days=1)
    ctx = ExtractContext(
        base_url=f"{sandbox}/mastodon",
        token="revoked",
        account=cfg.account(MAIN.key),
        window=Window(RUN_DS, RUN_DS),
        pseudonym_key="k",
        now=datetime.now(UTC),
        options={"public_read": True},
        policy=FAST,
    )
    assert len(mastodon.extract(ctx).entities["account_snapshots"]) == 1, "public reads need no token"


def test_html_to_text():
    html = (
        '<p><span class="h-card" translate="no"><a href="https://piaille.fr/@jo" class="u-url mention">'
        "@<span>jo</span></a></span> L&#39;Argent "
        '<a href="https://x/tags/a" class="mention hashtag">#<span>a</span></a><br />ligne '
        '<a href="https://www.x.fr/b"><span class="invisible">https://www.</span><span class="">x.fr/b</span>'
        '<span class="invisible"></span></a></p><p>deux</p>'
    )
    assert mastodon.html_to_text(html) == "L'Argent #a\nligne https://www.x.fr/b\n\ndeux"
    assert mastodon.html_to_text("<p></p>") is None


def test_status_counts_truth(sandbox):
    from sandbox.world import World

    world = World(42)
    post = next(iter(world.posts_between(MAIN, RUN_DS - timedelta(days=30), RUN_DS)))
    counts = status_counts(world, post, RUN_DS)
    metrics = world.post_metrics(post, RUN_DS)
    assert (counts["favourites_count"], counts["reblogs_count"]) == (metrics.reactions_total, metrics.shares)
    assert counts["descendants"] == metrics.comments


def test_slows_down_as_the_ratelimit_budget_runs_out():
    from sandbox.server import serve_in_thread

    fresh = serve_in_thread(port=0, seed=42, today=SANDBOX_TODAY, quiet=True)  # its own budget
    try:
        httpx.post(
            f"{fresh.url}/__sandbox__/ratelimit", json={"platform": "mastodon", "budget": 40, "window_seconds": 300}
        ).raise_for_status()
        slept: list[float] = []
        client = mastodon.MastodonClient(
            f"{fresh.url}/mastodon", None, account_key="k", policy=FAST, sleep=slept.append
        )
        for _ in range(36):
            client.get(f"api/v1/accounts/{MAIN.account_id}")
        assert client.stats.paced_seconds > 0 and client.stats.throttled == 0
        assert max(slept) <= FAST.pace_max_delay
    finally:
        fresh.stop()
