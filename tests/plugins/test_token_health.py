"""Token health: the expiry each API tells, and the alerts about it, over real HTTP.

A real sandbox in a thread, the real `extract_account`, the real state files under a
temporary `SOCIALPULSE_HOME`, and the real `TokenAlertNotifier` posting to a local
webhook (tests/plugins/test_notifiers.py's receiver).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from sandbox.server import redact, serve_in_thread
from socialpulse import token_health
from socialpulse.config import load_accounts
from socialpulse.connectors.client import AuthError, RetryPolicy
from socialpulse.credentials import MissingSecret
from socialpulse.extract import extract_account
from socialpulse.notifiers import WEBHOOK_CONN_ID
from socialpulse.settings import Settings
from tests.plugins._connector_helpers import ACCOUNTS
from tests.plugins.test_notifiers import Webhook

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 1, tzinfo=UTC)
FAST = RetryPolicy(backoff_base=0.01, backoff_max=0.05, pace_max_delay=0.01, timeout=2.0, max_attempts=4)
NINE = timedelta(hours=9)
MIDNIGHT = datetime(2026, 11, 20, tzinfo=UTC)
EXPECTED_EXPIRY = {
    # Graph: a never-expiring Page token whose data access lapses 90 days after a grant 30 days ago
    "facebook": MIDNIGHT - timedelta(days=30) + NINE + timedelta(days=90),
    "instagram": MIDNIGHT - timedelta(days=30) + NINE + timedelta(days=90),
    # LinkedIn introspection: authorized 20 days ago at 09:00, 60-day TTL
    "linkedin": MIDNIGHT - timedelta(days=20) + NINE + timedelta(days=60),
    "x": None,
    "bluesky": None,
    "mastodon": None,
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("SOCIALPULSE_HOME", str(tmp_path))
    monkeypatch.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
    for name in (
        "SOCIALPULSE_ACCOUNTS",
        "SOCIALPULSE_BUILD_DB",
        "SOCIALPULSE_SERVING_DB",
        "SOCIALPULSE_TOKEN_ALERT_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)
    for platform in ACCOUNTS:
        monkeypatch.delenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", raising=False)
        monkeypatch.delenv(f"SOCIALPULSE_{platform.upper()}_TOKEN_{ACCOUNTS[platform].upper()}", raising=False)
    return tmp_path


@pytest.fixture
def webhook(monkeypatch):
    hook = Webhook()
    conn = {"conn_type": "http", "host": "127.0.0.1", "port": hook.port, "schema": "http", "extra": {}}
    monkeypatch.setenv(f"AIRFLOW_CONN_{WEBHOOK_CONN_ID.upper()}", json.dumps(conn))
    yield hook
    hook.stop()


def run(platform: str, token: str | None, *, today: date = TODAY, now: datetime = NOW, monkeypatch) -> dict:
    """One daily extraction of the platform's main account against a sandbox of `today`."""
    with serve_in_thread(seed=42, today=today) as sandbox:
        monkeypatch.setenv("SOCIALPULSE_SANDBOX_URL", sandbox.url)
        if token is None:
            monkeypatch.delenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", raising=False)
        else:
            monkeypatch.setenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", token)
        settings = Settings.from_env()
        config = load_accounts(settings.config_file)
        account = config.account(ACCOUNTS[platform])
        ds = today - timedelta(days=1)
        return extract_account(
            settings, config, account, ds, days=1, run_id=f"run-{ds}", policy=FAST, now=now
        ).as_dict()


def notify():
    return token_health.airflow_notify({"run_id": "scheduled__test", "dag": None})


@pytest.mark.parametrize("platform", sorted(ACCOUNTS))
def test_expiry_as_the_api_tells_it_and_the_last_successful_call(home, monkeypatch, platform):
    result = run(platform, "sandbox-token", monkeypatch=monkeypatch)
    expected = EXPECTED_EXPIRY[platform]
    assert result["token_expires_at"] == (expected.isoformat() if expected else None)
    assert result["extracted_at"] == NOW.isoformat()

    settings = Settings.from_env()
    assert token_health.after_success(settings, result, notify()) is None  # 40+ days away: no alert
    health = token_health.read_health(settings, platform, ACCOUNTS[platform])
    assert health.last_successful_call_at == NOW.isoformat()
    assert health.token_expires_at == (expected.isoformat() if expected else None)
    status = token_health.token_status(expected, NOW, settings.token_alert_days)
    assert status == ("ok" if expected else "unknown expiry")


def test_debug_token_answers_like_meta(home, monkeypatch):
    with serve_in_thread(seed=42, today=TODAY) as sandbox:
        auth = {"Authorization": "Bearer sandbox-token"}
        ok = httpx.get(
            f"{sandbox.url}/facebook/v25.0/debug_token", params={"input_token": "sandbox-token"}, headers=auth
        )
        dead = httpx.get(
            f"{sandbox.url}/instagram/debug_token", params={"input_token": "sandbox-revoked"}, headers=auth
        )
        soon = httpx.get(
            f"{sandbox.url}/facebook/v25.0/debug_token", params={"input_token": "sandbox-expiring-5"}, headers=auth
        )
        missing = httpx.get(f"{sandbox.url}/facebook/v25.0/debug_token", headers=auth)
    data = ok.json()["data"]
    assert ok.status_code == 200 and data["is_valid"] is True and data["type"] == "PAGE"
    assert data["expires_at"] == 0
    assert data["data_access_expires_at"] == int(EXPECTED_EXPIRY["facebook"].timestamp())
    assert set(data) >= {"app_id", "type", "is_valid", "expires_at", "data_access_expires_at", "scopes"}
    dead_data = dead.json()["data"]
    assert dead.status_code == 200 and dead_data["is_valid"] is False and dead_data["error"]["code"] == 190
    assert soon.json()["data"]["expires_at"] == int((MIDNIGHT + timedelta(days=5) + NINE).timestamp())
    assert missing.status_code == 400 and missing.json()["error"]["code"] == 100
    assert "sandbox-expiring-5" not in redact("/facebook/v25.0/debug_token?input_token=sandbox-expiring-5&x=1")


def test_an_expiry_within_14_days_is_alerted_once(home, monkeypatch, webhook):
    settings = Settings.from_env()
    expiry = MIDNIGHT + timedelta(days=10) + NINE
    # day 1: the token expires in 10 days
    first = run("facebook", "sandbox-expiring-10", monkeypatch=monkeypatch)
    assert first["token_expires_at"] == expiry.isoformat()
    sent = token_health.after_success(settings, first, notify())
    assert sent is not None and sent["event"] == token_health.EXPIRING
    # day 2: the same token, the same expiry, 9 days away: nothing new to say
    second = run(
        "facebook",
        "sandbox-expiring-9",
        today=TODAY + timedelta(days=1),
        now=NOW + timedelta(days=1),
        monkeypatch=monkeypatch,
    )
    assert second["token_expires_at"] == expiry.isoformat()
    assert token_health.after_success(settings, second, notify()) is None

    assert len(webhook.posts) == 1
    body = webhook.posts[0]["json"]
    assert body["event"] == "socialpulse.token_expiring"
    assert (body["platform"], body["account_key"]) == ("facebook", "region_main")
    assert body["token_expires_at"] == expiry.isoformat() and body["days_to_expiry"] == 10
    assert "socialpulse_facebook_region_main" in body["text"]
    assert "sandbox-expiring" not in json.dumps(webhook.posts)
    health = token_health.read_health(settings, "facebook", "region_main")
    assert health.expiry_alerted_for == expiry.isoformat()
    assert token_health.token_status(expiry, NOW + timedelta(days=1), 14) == "expiring"


def test_a_lost_alert_is_sent_by_the_next_run(home, monkeypatch, webhook):
    settings = Settings.from_env()
    result = run("instagram", "sandbox-expiring-3", monkeypatch=monkeypatch)
    webhook.status = 503
    assert token_health.after_success(settings, result, notify()) is None  # logged, the extraction stands
    assert token_health.read_health(settings, "instagram", "ig_region_main").expiry_alerted_for is None
    webhook.status = 200
    assert token_health.after_success(settings, result, notify()) is not None
    assert token_health.after_success(settings, result, notify()) is None
    assert [p["json"]["event"] for p in webhook.posts] == ["socialpulse.token_expiring"] * 2  # the 503 one, then one


def test_the_first_auth_failure_is_alerted_once_and_rearmed_by_a_success(home, monkeypatch, webhook):
    settings = Settings.from_env()
    failures = []
    for day in range(2):
        with pytest.raises(AuthError) as caught:
            run("facebook", "sandbox-revoked", now=NOW + timedelta(days=day), monkeypatch=monkeypatch)
        failures.append(
            token_health.after_auth_failure(
                settings, "facebook", "region_main", caught.value, notify(), now=NOW + timedelta(days=day)
            )
        )
    assert failures[0] is not None and failures[1] is None
    assert len(webhook.posts) == 1
    body = webhook.posts[0]["json"]
    assert body["event"] == "socialpulse.token_auth_failed" and body["account_key"] == "region_main"
    assert "AuthError, code 190" in body["text"]
    health = token_health.read_health(settings, "facebook", "region_main")
    assert health.auth_failed_at == NOW.isoformat() and health.auth_failure_alerted

    # a renewed token: a success re-arms the alert, and the next failure is news again
    token_health.after_success(settings, run("facebook", "sandbox-token", monkeypatch=monkeypatch), notify())
    assert not token_health.read_health(settings, "facebook", "region_main").auth_failure_alerted
    with pytest.raises(MissingSecret) as missing:
        run("facebook", None, monkeypatch=monkeypatch)
    assert token_health.after_auth_failure(settings, "facebook", "region_main", missing.value, notify(), now=NOW)
    assert [p["json"]["event"] for p in webhook.posts] == ["socialpulse.token_auth_failed"] * 2
    assert "MissingSecret" in webhook.posts[1]["json"]["text"]
    assert "sandbox-revoked" not in json.dumps(webhook.posts) and "sandbox-token" not in json.dumps(webhook.posts)
