"""Token health of each account: its expiry, its last successful call, and the alerts about them.

Tokens die quietly: a Meta data-access grant lapses after 90 days, a LinkedIn token
after 60, and the daily extraction then fails with nobody warned in advance. After
every extraction of an account the extract task records here what the API said:

* a success: when the call was made and when the token expires, if the API tells
  (Facebook and Instagram through `debug_token`, LinkedIn through its introspection;
  X app tokens, Mastodon tokens and Bluesky app passwords do not expire by API:
  expiry None, "unknown");
* an authentication failure (`AuthError`, `MissingSecret`): when.

and alerts through the notifier (`socialpulse.notifiers.TokenAlertNotifier`):

* `socialpulse.token_expiring` once per account and expiry date, when a successful
  extraction finds the expiry `Settings.token_alert_days` (14) days away or fewer;
  a renewed token with a new expiry is a new date, alerted again when it comes near;
* `socialpulse.token_auth_failed` at the first authentication failure of an account,
  and not again until a success re-arms it.

An alert is remembered only once delivered (or logged, without a webhook): a webhook
that is down means the next run tries again. Alerts name the platform, the account,
the expiry and where the token lives; never the token, nor the API's error text.

The state is one JSON file per account under `$SOCIALPULSE_HOME/state/token_health/`
(`Settings.token_state_dir`), rewritten atomically: one file per account because the
extract tasks of different accounts run in parallel, while one account is extracted
by one task at a time. Like the veille's alerted spikes (socialpulse.alert_state), it
is kept outside both databases: deleting a file forgets what was alerted.

The build DAG's `load` task copies it into `raw.token_health` of the build database
(`load_health`: one row per configured account, replaced as a whole), the source of
the mart `marts.rpt_token_health`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from socialpulse.alert_state import write_text_atomically
from socialpulse.config import AccountsConfig
from socialpulse.credentials import connection_id
from socialpulse.settings import Settings

log = logging.getLogger(__name__)

EXPIRING = "socialpulse.token_expiring"
AUTH_FAILED = "socialpulse.token_auth_failed"

Notify = Callable[[dict[str, Any]], str | None]
"""Sends one alert; returns where it was delivered (None: the task log only); raises if it was not."""


@dataclass
class TokenHealth:
    platform: str
    account_key: str
    last_successful_call_at: str | None = None  # UTC, ISO 8601
    token_expires_at: str | None = None  # None: the API does not tell
    last_run_id: str | None = None
    expiry_alerted_for: str | None = None  # the expiry (ISO) last alerted
    auth_failed_at: str | None = None  # the first failure since the last success
    auth_failure_alerted: bool = False


def state_file(settings: Settings, platform: str, account_key: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{platform}__{account_key}")
    return settings.token_state_dir / f"{safe}.json"


def read_health(settings: Settings, platform: str, account_key: str) -> TokenHealth:
    path = state_file(settings, platform, account_key)
    if not path.exists():
        return TokenHealth(platform, account_key)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return TokenHealth(**{**record, "platform": platform, "account_key": account_key})
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{path}: not a token health record ({exc}); remove it (its alerts would be sent again)"
        ) from exc


def write_health(settings: Settings, health: TokenHealth) -> None:
    """Replace the account's file atomically."""
    path = state_file(settings, health.platform, health.account_key)
    write_text_atomically(path, json.dumps(asdict(health), sort_keys=True, indent=1) + "\n")


def all_health(settings: Settings) -> list[TokenHealth]:
    """Every account's record, sorted by platform and account."""
    found = []
    for path in sorted(settings.token_state_dir.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        found.append(TokenHealth(**record))
    return sorted(found, key=lambda h: (h.platform, h.account_key))


def token_status(expires_at: datetime | None, now: datetime, alert_days: int) -> str:
    """'unknown expiry', 'expired', 'expiring' (within `alert_days`) or 'ok'."""
    if expires_at is None:
        return "unknown expiry"
    if expires_at <= now:
        return "expired"
    return "expiring" if expires_at - now <= timedelta(days=alert_days) else "ok"


def _where(platform: str, account_key: str) -> str:
    return f"Airflow Connection {connection_id(platform, account_key)!r} (password field)"


def _send(notify: Notify, alert: dict[str, Any]) -> bool:
    try:
        notify(alert)
    except Exception as exc:  # noqa: BLE001 - a lost alert must not fail the extraction; the next run retries
        log.warning(
            "%s/%s: token alert not delivered (%s); the next run tries again",
            alert["platform"],
            alert["account_key"],
            exc,
        )
        return False
    return True


def after_success(settings: Settings, result: dict[str, Any], notify: Notify) -> dict[str, Any] | None:
    """Record a successful extraction (`ExtractResult.as_dict()`); alert an expiry within 14 days, once.

    Returns the alert sent, if any.
    """
    platform, key = result["platform"], result["account_key"]
    checked_at = datetime.fromisoformat(result["extracted_at"])
    expires = datetime.fromisoformat(result["token_expires_at"]) if result.get("token_expires_at") else None
    health = read_health(settings, platform, key)
    health.last_successful_call_at = checked_at.isoformat()
    health.token_expires_at = expires.isoformat() if expires else None
    health.last_run_id = result.get("run_id")
    health.auth_failed_at = None
    health.auth_failure_alerted = False  # re-armed: the next failure is news again
    sent = None
    status = token_status(expires, checked_at, settings.token_alert_days)
    if expires is not None and status in ("expiring", "expired") and health.expiry_alerted_for != expires.isoformat():
        days = (expires - checked_at).days
        alert = {
            "event": EXPIRING,
            "platform": platform,
            "account_key": key,
            "token_expires_at": expires.isoformat(),
            "days_to_expiry": days,
            "text": (
                f"socialpulse: the {platform} token of account {key} "
                + (
                    f"expires on {expires:%Y-%m-%d %H:%M} UTC (in {days} days)"
                    if expires > checked_at
                    else f"expired on {expires:%Y-%m-%d %H:%M} UTC"
                )
                + f": renew it and update {_where(platform, key)}"
            ),
        }
        if _send(notify, alert):
            health.expiry_alerted_for = expires.isoformat()
            sent = alert
    write_health(settings, health)
    return sent


def after_auth_failure(
    settings: Settings, platform: str, account_key: str, error: BaseException, notify: Notify, *, now: datetime
) -> dict[str, Any] | None:
    """Record an authentication failure; alert the first one since the last success. Returns the alert sent."""
    health = read_health(settings, platform, account_key)
    if health.auth_failed_at is None:
        health.auth_failed_at = now.isoformat()
    sent = None
    if not health.auth_failure_alerted:
        code = getattr(error, "code", None)
        status = getattr(error, "status", None)
        what = (
            type(error).__name__
            + (f", code {code}" if code is not None else "")
            + (f", HTTP {status}" if status is not None else "")
        )
        alert = {
            "event": AUTH_FAILED,
            "platform": platform,
            "account_key": account_key,
            "failed_at": now.isoformat(),
            "last_successful_call_at": health.last_successful_call_at,
            "text": (
                f"socialpulse: {platform}/{account_key}: the API refused the token or there is none ({what}); "
                f"nothing is extracted for this account until a person renews it in {_where(platform, account_key)} "
                "(the extract task's log says more)"
            ),
        }
        if _send(notify, alert):
            health.auth_failure_alerted = True
            sent = alert
    write_health(settings, health)
    return sent


def airflow_notify(context: Any) -> Notify:
    """`notify` for an Airflow task: `TokenAlertNotifier` with the task's context."""

    def notify(alert: dict[str, Any]) -> str | None:
        from socialpulse.notifiers import TokenAlertNotifier

        notifier = TokenAlertNotifier(alert=alert)
        notifier(context)
        return notifier.delivered_to

    return notify


TABLE = "raw.token_health"
TABLE_DDL = (
    f"create table if not exists {TABLE} (platform varchar not null, account_key varchar not null, "
    "account_id varchar, last_successful_call_at timestamptz, token_expires_at timestamptz, "
    "auth_failed_at timestamptz, loaded_at timestamptz not null)"
)  # the same DDL as dbt_project.yml's on-run-start, which creates it for builds that load nothing


def load_health(build_db: Path, settings: Settings, config: AccountsConfig) -> int:
    """Replace `raw.token_health` with one row per configured account (nulls for one never extracted)."""
    import duckdb

    known = {(h.platform, h.account_key): h for h in all_health(settings)}
    rows = []
    for account in sorted(config.accounts, key=lambda a: (a.platform, a.key)):
        health = known.get((account.platform, account.key)) or TokenHealth(account.platform, account.key)
        rows.append(
            (
                account.platform,
                account.key,
                account.account_id,
                health.last_successful_call_at,
                health.token_expires_at,
                health.auth_failed_at,
            )
        )
    build_db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(build_db))
    try:
        con.execute("set timezone = 'UTC'")
        con.execute("create schema if not exists raw")
        con.execute("begin transaction")
        con.execute(TABLE_DDL)
        con.execute(f"delete from {TABLE}")
        if rows:
            con.executemany(
                f"insert into {TABLE} values (?, ?, ?, cast(? as timestamptz), cast(? as timestamptz), "
                "cast(? as timestamptz), now())",
                rows,
            )
        con.execute("commit")
    finally:
        con.close()
    log.info("%s: %d accounts", TABLE, len(rows))
    return len(rows)
