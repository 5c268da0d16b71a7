"""Runtime configuration: the only module that reads os.environ.

Everything that differs between a laptop, CI and production comes from the
environment (or, for secrets, from Airflow Connections: see `secrets.py`), so that
the code never carries a machine-specific path. Paths default to ./data under the
repository root and are always returned absolute, because dbt (run by Cosmos from
a temporary copy of the project) and Airflow tasks run from other working
directories.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Telemetry is off everywhere: a public institution's data stays home. These are
# set as defaults before dbt, Cosmos, GX or Airflow are imported by our code.
NO_TELEMETRY = {
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    "SCARF_ANALYTICS": "false",
}


def disable_telemetry() -> None:
    for key, value in NO_TELEMETRY.items():
        os.environ.setdefault(key, value)


disable_telemetry()

# The production builds (the build DAG's producer, the veille, the bench's plain build)
# leave dbt's unit tests out: they check the models' SQL on fixed rows, not the day's
# data, so they belong to `make test` and CI (tests/integration/test_dbt_build.py runs
# them), where the SQL changes, not to every daily run (about 8 s of fixed cost).
DBT_PRODUCTION_FLAGS = ("--exclude-resource-type", "unit_test")


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with `Settings.from_env()`."""

    home: Path
    config_file: Path
    sandbox_url: str
    pseudonym_key: str | None

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("SOCIALPULSE_HOME", REPO_ROOT / "data"))
        if not home.is_absolute():
            home = (REPO_ROOT / home).resolve()
        config = Path(os.environ.get("SOCIALPULSE_ACCOUNTS", REPO_ROOT / "config" / "accounts.yml"))
        if not config.is_absolute():
            config = (REPO_ROOT / config).resolve()
        return cls(
            home=home,
            config_file=config,
            sandbox_url=os.environ.get("SOCIALPULSE_SANDBOX_URL", "http://127.0.0.1:8765").rstrip("/"),
            pseudonym_key=os.environ.get("SOCIALPULSE_PSEUDONYM_KEY") or None,
        )

    @cached_property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @cached_property
    def build_db(self) -> Path:
        return Path(os.environ.get("SOCIALPULSE_BUILD_DB", self.home / "build.duckdb")).resolve()

    @cached_property
    def serving_db(self) -> Path:
        return Path(os.environ.get("SOCIALPULSE_SERVING_DB", self.home / "warehouse.duckdb")).resolve()

    @cached_property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    @cached_property
    def docs_dir(self) -> Path:
        """Data Docs (GX, under gx/) and dbt docs (under dbt/), rebuilt by every build."""
        return self.home / "docs"

    @cached_property
    def dbt_project_dir(self) -> Path:
        return REPO_ROOT / "dbt_project"

    @cached_property
    def expectations_dir(self) -> Path:
        return REPO_ROOT / "expectations"

    @cached_property
    def comment_retention_days(self) -> int:
        """Days a comment's text is kept (default 396, about 13 months); older texts are purged."""
        return _positive_int("SOCIALPULSE_COMMENT_RETENTION_DAYS", 396)

    @cached_property
    def alert_max_age_days(self) -> int:
        """Spikes whose bucket started longer ago than this are history, not news: never alerted."""
        return _positive_int("SOCIALPULSE_ALERT_MAX_AGE_DAYS", 14)

    @cached_property
    def veille_dbt_target_dir(self) -> Path:
        """dbt's target/ for the veille's builds: apart from the manifest Cosmos renders the build DAG from."""
        return self.home / "dbt" / "veille"

    @cached_property
    def alert_state_file(self) -> Path:
        """The spikes the veille has alerted (JSON lines): state outside both databases, which are rebuildable."""
        return self.home / "state" / "alerted_spikes.jsonl"

    @cached_property
    def token_state_dir(self) -> Path:
        """Each account's token health and what was alerted of it (one JSON file per account, see
        socialpulse.token_health): state, kept outside both databases like the alerted spikes."""
        return self.home / "state" / "token_health"

    @cached_property
    def token_alert_days(self) -> int:
        """A token whose expiry is this many days away or fewer is alerted (once per expiry date)."""
        return _positive_int("SOCIALPULSE_TOKEN_ALERT_DAYS", 14)

    @cached_property
    def audit_chunk_rows(self) -> int:
        """Largest batch the audit hands to GX at once; a bigger one is validated in slices
        (socialpulse.quality), so memory stays bounded whatever the load."""
        return _positive_int("SOCIALPULSE_AUDIT_CHUNK_ROWS", 500_000, unit="rows")

    @property
    def duckdb_memory_limit(self) -> str:
        """DuckDB's memory limit for the load, dbt builds and publish (past it, DuckDB spills to disk)."""
        return os.environ.get("SOCIALPULSE_DUCKDB_MEMORY_LIMIT", "").strip() or "4GB"

    @property
    def audit_duckdb_memory_limit(self) -> str:
        """DuckDB's memory limit for the audits' reads. DuckDB caches the file's blocks up to
        its limit, and the audit reads each block once: a small cache leaves the memory to the
        pandas batches (a 1,000-account initial load's mart audit peaked at 8,069 MB with 4GB
        here, 6,957 MB with 1GB, in the same time)."""
        return os.environ.get("SOCIALPULSE_AUDIT_DUCKDB_MEMORY_LIMIT", "").strip() or "1GB"

    def base_url(self, platform: str) -> str:
        """API base URL of a platform: the sandbox unless SOCIALPULSE_<P>_BASE_URL says otherwise."""
        override = os.environ.get(f"SOCIALPULSE_{platform.upper()}_BASE_URL")
        return (override or f"{self.sandbox_url}/{platform}").rstrip("/")

    def env_token(self, platform: str, account_key: str) -> str | None:
        """Token from the environment: per account first, then per platform."""
        specific = os.environ.get(f"SOCIALPULSE_{platform.upper()}_TOKEN_{account_key.upper()}")
        return specific or os.environ.get(f"SOCIALPULSE_{platform.upper()}_TOKEN") or None

    def dbt_env(self) -> dict[str, str]:
        """Environment that dbt needs, with absolute paths (Cosmos runs dbt elsewhere)."""
        return {
            "SOCIALPULSE_HOME": str(self.home),
            "SOCIALPULSE_BUILD_DB": str(self.build_db),
            **NO_TELEMETRY,
        }


def _positive_int(name: str, default: int, unit: str = "days") -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{name}={raw!r}: expected a positive whole number of {unit}")
    return value


def get_settings() -> Settings:
    return Settings.from_env()
