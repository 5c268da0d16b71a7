"""The Facebook connector against the real sandbox over HTTP."""

from __future__ import annotations

from functools import partial

import httpx
import pyarrow.parquet as pq
import pytest

from socialpulse.config import load_accounts
from socialpulse.connectors import facebook
from socialpulse.connectors.client import AuthError, RetryPolicy
from socialpulse.extract import extract_account
from tests.conftest import RUN_DS
from tests.plugins._connector_helpers import inject_fault, landed, sandbox_stats

FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)
landed_rows = partial(landed, platform="facebook")
fault = partial(inject_fault, platform="facebook")
stats = sandbox_stats


@pytest.fixture
def settings(home, sandbox):
    """Settings read after the sandbox fixture has pointed the environment at it."""
    from socialpulse.settings import Settings

    return Settings.from_env()


@pytest.fixture
def cfg(settings):
    return load_accounts(settings.config_file)


def without_volatile(rows):
    return sorted(
        (
            tuple(sorted((k, v) for k, v in r.items() if k not in {"fetched_at", "_extracted_at", "_run_id"}))
            for r in rows
        ),
        key=repr,
    )


def test_extracts_a_page_into_landing(settings, cfg, sandbox):
    acc = cfg.account("region_transports")
    result = extract_account(settings, cfg, acc, RUN_DS, days=5, run_id="t1", policy=FAST)
    assert set(result.rows) == {"page_snapshots", "page_insights", "posts", "post_insights", "comments"}
    assert result.rows["page_snapshots"] == 1
    assert result.rows["posts"] > 0 and result.rows["comments"] > 0
    insights = landed_rows(settings, "page_insights")
    days = {r["end_time"].date() for r in insights if r["metric"] == "page_follows"}
    assert len(days) == 5, "one value per day of the window"
    paid = {r["breakdown_value"] for r in insights if r["breakdown"] == "is_from_ads"}
    assert paid == {"true", "false"}
    assert result.retries == 0 and result.throttled == 0


def all_landed_values(settings) -> set[str]:
    values: set[str] = set()
    for path in settings.landing_dir.rglob("*.parquet"):
        for row in pq.read_table(path).to_pylist():
            values.update(str(v) for v in row.values() if v is not None)
    return values


def test_no_token_and_no_commenter_identity_reaches_landing(settings, cfg, sandbox):
    from sandbox.truth import truth

    extract_account(settings, cfg, cfg.account("region_main"), RUN_DS, days=4, run_id="t", policy=FAST)
    values = all_landed_values(settings)
    assert not any("sandbox-token" in v for v in values)
    comments = landed_rows(settings, "comments")
    outsiders = [c for c in comments if not c["is_from_page"]]
    assert outsiders and all(len(c["author_pseudo_id"]) == 32 for c in outsiders)
    t = truth(
        seed=42,
        today=RUN_DS.fromordinal(RUN_DS.toordinal() + 1),
        start=RUN_DS.fromordinal(RUN_DS.toordinal() - 3),
        end=RUN_DS,
    )
    landed_ids = {c["comment_id"] for c in comments}
    people = {str(c["author_id"]) for c in t["comments"] if c["comment_id"] in landed_ids and not c["is_from_page"]}
    assert people, "the window has comments from people"
    assert not people & values, "raw commenter ids must never be landed"


def test_throttle_429_is_waited_out_then_the_result_is_identical(settings, cfg, sandbox):
    acc = cfg.account("region_jeunesse")
    extract_account(settings, cfg, acc, RUN_DS, days=3, run_id="clean", policy=FAST)
    clean = {e: without_volatile(landed_rows(settings, e)) for e in facebook_entities()}

    fault(sandbox, kind="http_429", count=2, path="/insights")
    result = extract_account(settings, cfg, acc, RUN_DS, days=3, run_id="faulty", policy=FAST)
    assert result.throttled == 2
    assert {e: without_volatile(landed_rows(settings, e)) for e in facebook_entities()} == clean


def test_server_errors_are_retried(settings, cfg, sandbox):
    fault(sandbox, kind="http_500", count=3)
    result = extract_account(settings, cfg, cfg.account("region_main"), RUN_DS, days=2, run_id="t", policy=FAST)
    assert result.retries == 3
    assert result.rows["page_snapshots"] == 1


def test_expired_token_fails_fast_and_lands_nothing(settings, cfg, sandbox, monkeypatch):
    monkeypatch.setenv("SOCIALPULSE_FACEBOOK_TOKEN", "sandbox-expired-token")
    before = stats(sandbox)["total"]
    with pytest.raises(AuthError, match=r"Graph error 190/463.*new long-lived Page token"):
        extract_account(settings, cfg, cfg.account("region_main"), RUN_DS, days=2, run_id="t", policy=FAST)
    assert stats(sandbox)["total"] - before == 1, "no retry on an auth error"
    assert not settings.landing_dir.exists() or not any(settings.landing_dir.rglob("*.parquet"))
    with pytest.raises(AuthError) as err:
        extract_account(settings, cfg, cfg.account("region_main"), RUN_DS, days=2, run_id="t", policy=FAST)
    assert "sandbox-expired-token" not in str(err.value)


def test_slows_down_on_usage_headers_before_a_throttle(cfg):
    from sandbox.server import serve_in_thread
    from tests.conftest import SANDBOX_TODAY

    fresh = serve_in_thread(port=0, seed=42, today=SANDBOX_TODAY, quiet=True)  # its own usage counters
    try:
        httpx.post(
            f"{fresh.url}/__sandbox__/ratelimit", json={"platform": "facebook", "budget": 60, "window_seconds": 3600}
        ).raise_for_status()
        slept: list[float] = []
        client = facebook.GraphClient(
            f"{fresh.url}/facebook", "sandbox-token", account_key="region_main", policy=FAST, sleep=slept.append
        )
        page = cfg.account("region_main").account_id
        for _ in range(55):
            client.get(page, {"fields": "id"})
        assert client.stats.paced_seconds > 0, "usage above 80 % must slow the client down"
        assert client.stats.throttled == 0
        assert slept and max(slept) <= FAST.pace_max_delay
    finally:
        fresh.stop()


def facebook_entities():
    from socialpulse.landing_schemas import entities

    return entities("facebook")
