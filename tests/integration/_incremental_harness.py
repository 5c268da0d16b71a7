"""Day after day as the build DAG does it, for the tests of incremental models: a private
sandbox whose "today" is the day after the run, one account per platform extracted (2-day
window: the day and the one before), loaded, then `dbt build` of a selection."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from sandbox.server import serve_in_thread
from socialpulse.config import load_accounts
from socialpulse.connectors.client import RetryPolicy
from socialpulse.extract import extract_account
from socialpulse.load import load_landing
from socialpulse.settings import Settings
from tests.conftest import RUN_DS
from tests.integration._dbt_harness import dbt_build

SEED = 42
DAYS = tuple(RUN_DS - timedelta(days=n) for n in (2, 1, 0))
WINDOW_DAYS = 2
# one account per platform; Facebook's and X's have sponsored posts
ACCOUNTS = {
    "facebook": "region_jeunesse",
    "instagram": "ig_region_main",
    "linkedin": "li_region_main",
    "x": "x_region_transports",
    "bluesky": "bsky_region_main",
    "mastodon": "masto_region_main",
}
FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)


def private_home(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("SOCIALPULSE_HOME", str(home))
    mp.delenv("SOCIALPULSE_BUILD_DB", raising=False)
    mp.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
    for platform in ACCOUNTS:
        mp.setenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", "sandbox-token")


def extract_and_load(mp: pytest.MonkeyPatch, ds: date) -> Settings:
    handle = serve_in_thread(port=0, seed=SEED, today=ds + timedelta(days=1), quiet=True)
    try:
        mp.setenv("SOCIALPULSE_SANDBOX_URL", handle.url)
        settings = Settings.from_env()
        cfg = load_accounts(settings.config_file)
        for platform, key in ACCOUNTS.items():
            (account,) = [a for a in cfg.for_platform(platform) if a.key == key]
            extract_account(settings, cfg, account, ds, days=WINDOW_DAYS, run_id=f"incr-{ds}", policy=FAST)
    finally:
        handle.stop()
    load_landing(settings.build_db, settings.landing_dir)
    return settings


def build(settings: Settings, select: list[str], *extra: str, tests: bool = False) -> None:
    """`dbt build` of `select` (it must pass); data and unit tests only when asked (cost)."""
    skip = [] if tests else ["--exclude-resource-type", "test", "unit_test"]
    dbt_build(settings, select, settings.home / "dbt_target", "--indirect-selection", "cautious", *extra, *skip)
