"""Superset configuration for socialpulse's BI service.

Read by Superset through ``SUPERSET_CONFIG_PATH`` (native: run_check.sh sets it; image:
the Dockerfile does). Every value that differs between a laptop, CI and the container
comes from the environment; nothing here names a machine's path.

Why the settings below:
- the serving warehouse is read-only for BI: the database connection itself is opened
  with ``read_only`` (see assets/databases/), Superset only reads;
- no telemetry: the prebuilt front end draws a tracking pixel (Scarf) in its menu; the
  Content-Security-Policy below names no external host, so the browser never fetches it,
  nor fonts, map tiles or documentation images from outside;
- API login: ``POST /api/v1/security/login`` gives a JWT; Flask-AppBuilder's REST APIs
  are CSRF-exempt by design, the HTML forms keep CSRF protection (``WTF_CSRF_ENABLED``).
"""

from __future__ import annotations

import os
from pathlib import Path


def _socialpulse_home() -> Path:
    """SOCIALPULSE_HOME as the project reads it: default ./data, relative to the cwd."""
    return Path(os.environ.get("SOCIALPULSE_HOME", "data")).expanduser().resolve()


def _state_dir() -> Path:
    """Where Superset keeps its own files (metadata database, bundle zip, logs).

    Default ``$SOCIALPULSE_HOME/superset``; the image sets SUPERSET_STATE_DIR to its home,
    since the warehouse's volume is mounted read-only there.
    """
    return Path(os.environ.get("SUPERSET_STATE_DIR") or _socialpulse_home() / "superset").expanduser().resolve()


# --- Secrets and metadata database -------------------------------------------------
SECRET_KEY = os.environ.get("SUPERSET_SECRET_KEY", "")
if len(SECRET_KEY) < 32:
    raise RuntimeError(
        ("SUPERSET_SECRET_KEY is not set" if not SECRET_KEY else "SUPERSET_SECRET_KEY is too short")
        + ": Superset signs sessions and API tokens and encrypts database passwords with it; "
        "give it 32 characters or more, e.g. export SUPERSET_SECRET_KEY=$(openssl rand -base64 42)"
    )

SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_DATABASE_URI") or (f"sqlite:///{_state_dir() / 'superset.db'}")
if SQLALCHEMY_DATABASE_URI.startswith("sqlite:///"):
    Path(SQLALCHEMY_DATABASE_URI.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

# --- Security -------------------------------------------------------------------------
WTF_CSRF_ENABLED = True
# Session cookies over plain HTTP on localhost; put TLS in front in production and set
# SUPERSET_COOKIE_SECURE=true.
SESSION_COOKIE_SECURE = os.environ.get("SUPERSET_COOKIE_SECURE", "false").lower() == "true"
SESSION_COOKIE_SAMESITE = "Lax"
# Analysts read marts; nobody uploads files or writes through Superset.
PREVENT_UNSAFE_DB_CONNECTIONS = True

# --- No telemetry, nothing from outside ----------------------------------------------
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": SESSION_COOKIE_SECURE,
}
TALISMAN_DEV_CONFIG = TALISMAN_CONFIG
THEME_FONT_URL_ALLOWED_DOMAINS: list[str] = []
MAPBOX_API_KEY = ""
# The default statsd-free logger: no metrics leave the process.
from superset.stats_logger import DummyStatsLogger  # noqa: E402

STATS_LOGGER = DummyStatsLogger()

# --- Features the dashboard relies on -------------------------------------------------
FEATURE_FLAGS = {
    # Render every chart at once (not only those in the viewport): the headless
    # screenshot and a printed page show the whole dashboard.
    "DASHBOARD_VIRTUALIZATION": False,
    # Charts take the page's width; the native filters stay one click away.
    "FILTERBAR_CLOSED_BY_DEFAULT": True,
    # Nothing that needs Celery, Redis or outbound mail/Slack.
    "ALERT_REPORTS": False,
    "GLOBAL_ASYNC_QUERIES": False,
    "ENABLE_DASHBOARD_SCREENSHOT_ENDPOINTS": False,
    "EMBEDDED_SUPERSET": False,
    "DYNAMIC_PLUGINS": False,
}

# Small, local deployment: results cached in process memory for 10 minutes (the
# warehouse changes once per build; a publish is visible after at most that).
DATA_CACHE_CONFIG = {
    "CACHE_TYPE": "SimpleCache",
    "CACHE_DEFAULT_TIMEOUT": int(os.environ.get("SUPERSET_DATA_CACHE_SECONDS", "600")),
}
ROW_LIMIT = 10000
SUPERSET_WEBSERVER_TIMEOUT = 120
