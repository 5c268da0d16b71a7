"""rpt_token_health on a real build: one row per configured account, expiry and status as the APIs tell.

Real extractions against an in-thread sandbox (a Facebook token that expires in 10
days, a plain Instagram token, X's token with no expiry by API, a revoked LinkedIn
token), the real token state files and notifier (no webhook: the task log), the real
`load_health` into a DuckDB build file, then `dbt build` of the staging model and the
mart (with their data tests and the status unit test) at `as_of` = the run's end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from sandbox.server import serve_in_thread
from socialpulse import token_health
from socialpulse.config import load_accounts
from socialpulse.connectors.client import AuthError, RetryPolicy
from socialpulse.extract import extract_account
from socialpulse.settings import Settings
from tests.integration._dbt_harness import dbt_build, rows

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 0, 5, tzinfo=UTC)
FAST = RetryPolicy(backoff_base=0.01, backoff_max=0.05, pace_max_delay=0.01, timeout=2.0, max_attempts=4)
RUNS = {  # account key -> (platform, token)
    "region_main": ("facebook", "sandbox-expiring-10"),
    "ig_region_main": ("instagram", "sandbox-token"),
    "x_region_main": ("x", "sandbox-token"),
    "li_region_main": ("linkedin", "sandbox-revoked"),
}


def test_rpt_token_health(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SOCIALPULSE_HOME", str(tmp_path))
    monkeypatch.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
    monkeypatch.delenv(f"AIRFLOW_CONN_{'socialpulse_alerts_webhook'.upper()}", raising=False)
    for name in ("SOCIALPULSE_ACCOUNTS", "SOCIALPULSE_BUILD_DB", "SOCIALPULSE_SERVING_DB"):
        monkeypatch.delenv(name, raising=False)
    notify = token_health.airflow_notify({"run_id": "scheduled__test", "dag": None})
    with serve_in_thread(seed=42, today=TODAY) as sandbox:
        monkeypatch.setenv("SOCIALPULSE_SANDBOX_URL", sandbox.url)
        for key, (platform, token) in RUNS.items():
            monkeypatch.setenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", token)
            settings = Settings.from_env()
            config = load_accounts(settings.config_file)
            try:
                result = extract_account(
                    settings,
                    config,
                    config.account(key),
                    TODAY - timedelta(days=1),
                    days=1,
                    run_id="t",
                    policy=FAST,
                    now=NOW,
                )
            except AuthError as exc:
                token_health.after_auth_failure(settings, platform, key, exc, notify, now=NOW)
            else:
                token_health.after_success(settings, result.as_dict(), notify)
    settings = Settings.from_env()
    config = load_accounts(settings.config_file)
    assert token_health.load_health(settings.build_db, settings, config) == len(config.accounts)

    dbt_build(
        settings,
        ["stg_loader__token_health", "rpt_token_health"],
        tmp_path / "dbt_target",
        "--vars",
        '{"as_of": "2026-11-20"}',
    )

    import duckdb

    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        found = {r["account_key"]: r for r in rows(con, "select * from marts.rpt_token_health")}
    finally:
        con.close()
    assert sorted(found) == sorted(a.key for a in config.accounts)  # every configured account

    measured = datetime(2026, 11, 20, tzinfo=UTC)
    facebook = found["region_main"]
    assert facebook["token_expires_at"] == datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert (facebook["days_to_expiry"], facebook["token_status"]) == (10, "expiring")
    assert facebook["last_successful_call_at"] == NOW and facebook["measured_at"] == measured
    instagram = found["ig_region_main"]  # data access: 90 days after a grant 30 days ago
    assert instagram["token_expires_at"] == datetime(2027, 1, 19, 9, tzinfo=UTC)
    assert (instagram["days_to_expiry"], instagram["token_status"]) == (60, "ok")
    x = found["x_region_main"]
    assert (x["token_expires_at"], x["days_to_expiry"], x["token_status"]) == (None, None, "unknown expiry")
    assert x["last_successful_call_at"] == NOW and not x["is_auth_failing"]
    linkedin = found["li_region_main"]
    assert linkedin["is_auth_failing"] and linkedin["auth_failed_at"] == NOW
    assert linkedin["last_successful_call_at"] is None and linkedin["token_status"] == "unknown expiry"
    never = found["masto_region_main"]
    assert never["last_successful_call_at"] is None and never["token_status"] == "unknown expiry"
    assert never["platform"] == "mastodon" and never["account_id"]


@pytest.mark.parametrize("expiry, status", [(None, "unknown expiry"), (-1, "expired"), (14, "expiring"), (15, "ok")])
def test_status_in_python_matches_the_mart(expiry, status):
    """The alert and the mart agree on what 'expiring' means (the mart's unit test has the same cases)."""
    at = datetime(2026, 11, 20, tzinfo=UTC)
    expires = at + timedelta(days=expiry) if expiry is not None else None
    assert token_health.token_status(expires, at, 14) == status
