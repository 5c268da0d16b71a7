"""Secrets: API tokens and the pseudonymisation key.

Looked up in Airflow first (Connection `socialpulse_<platform>_<key>`, its password
field; Variable `socialpulse_pseudonym_key`), then in the environment. Values are
returned to the caller and never logged or written anywhere by this module.
"""

from __future__ import annotations

import logging
import sys

from socialpulse.settings import Settings

log = logging.getLogger(__name__)


class MissingSecret(RuntimeError):
    pass


def connection_id(platform: str, account_key: str) -> str:
    return f"socialpulse_{platform}_{account_key}"


def _in_airflow() -> bool:
    """Only ask Airflow inside Airflow: importing it elsewhere would create ~/airflow."""
    return "airflow.sdk" in sys.modules


def _airflow_connection_password(conn_id: str) -> str | None:
    if not _in_airflow():
        return None
    try:
        from airflow.sdk import BaseHook
    except ImportError:  # used outside Airflow (CLI, tests)
        return None
    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception:  # noqa: BLE001 - "not found" has several types across Airflow versions
        return None
    return conn.password or None


def _airflow_variable(name: str) -> str | None:
    if not _in_airflow():
        return None
    try:
        from airflow.sdk import Variable
    except ImportError:
        return None
    try:
        return Variable.get(name, default=None)
    except Exception:  # noqa: BLE001 - outside a task there is no Variable backend
        return None


def api_token(settings: Settings, platform: str, account_key: str) -> str:
    conn_id = connection_id(platform, account_key)
    token = _airflow_connection_password(conn_id) or settings.env_token(platform, account_key)
    if not token:
        raise MissingSecret(
            f"{platform}/{account_key}: no API token. Create the Airflow Connection {conn_id!r} "
            f"(token in its password) or set SOCIALPULSE_{platform.upper()}_TOKEN_{account_key.upper()} "
            f"or SOCIALPULSE_{platform.upper()}_TOKEN."
        )
    return token


def pseudonym_key(settings: Settings) -> str:
    key = _airflow_variable("socialpulse_pseudonym_key") or settings.pseudonym_key
    if not key:
        raise MissingSecret(
            "no pseudonymisation key: set the Airflow Variable 'socialpulse_pseudonym_key' "
            "or SOCIALPULSE_PSEUDONYM_KEY (a long random string, kept secret and stable)."
        )
    return key
