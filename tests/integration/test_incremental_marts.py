"""The marts that grow daily are incremental by date, and a full refresh gives the same result.

Day after day, as the build DAG does it: a private sandbox whose "today" is the day after
the run, one account per platform extracted (2-day window: the day and the one before),
loaded, then `dbt build` of fct_account_daily and fct_post_snapshots and all they read (data
and unit tests in the last day's build only: the other integration tests run them all).
Then the same day again, a build after tampering with old rows, and `--full-refresh`.

`reprocess_days` is 1 here (7 in production), so that three days of history already hold
days outside the window; it still covers the extraction's lookback (1 day), as the
production value covers the production lookback (3 days).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from sandbox.server import serve_in_thread
from socialpulse.config import load_accounts
from socialpulse.connectors.client import RetryPolicy
from socialpulse.extract import extract_account
from socialpulse.load import load_landing
from socialpulse.settings import REPO_ROOT, Settings
from tests.conftest import RUN_DS

pytestmark = pytest.mark.integration

DBT = str(Path(sys.executable).parent / "dbt")
SEED = 42
DAYS = tuple(RUN_DS - timedelta(days=n) for n in (2, 1, 0))
WINDOW_DAYS = 2
REPROCESS_DAYS = 1
FACTS = {"fct_account_daily": "report_date", "fct_post_snapshots": "snapshot_date"}
ACCOUNTS = {
    "facebook": "region_jeunesse",
    "instagram": "ig_region_main",
    "linkedin": "li_region_main",
    "x": "x_region_transports",
    "bluesky": "bsky_region_main",
    "mastodon": "masto_region_main",
}
FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)
TAMPERED = 10**9
TAMPERED_COLUMN = {"fct_account_daily": "followers", "fct_post_snapshots": "reactions"}


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


def build(settings: Settings, *extra: str, tests: bool = False) -> None:
    """`dbt build` of the facts and all they read; data and unit tests only when asked (cost)."""
    proc = subprocess.run(
        [DBT, "build", "--select", *(f"+{fact}" for fact in FACTS), "--indirect-selection", "cautious"]
        + ["--vars", f"{{reprocess_days: {REPROCESS_DAYS}}}", *extra]
        + ([] if tests else ["--exclude-resource-type", "test", "unit_test"])
        + ["--project-dir", "dbt_project", "--profiles-dir", "dbt_project"]
        + ["--target-path", str(settings.home / "dbt_target")],
        cwd=REPO_ROOT,
        env={**os.environ, **settings.dbt_env()},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "ERROR=0" in proc.stdout


def facts(settings: Settings) -> dict[str, list[dict]]:
    """Every row of each fact, as dicts in a stable order."""
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        tables = {}
        for table in FACTS:
            cursor = con.execute(f"select * from marts.{table}")
            names = [d[0] for d in cursor.description]
            tables[table] = [dict(zip(names, r, strict=True)) for r in sorted(cursor.fetchall(), key=repr)]
        return tables
    finally:
        con.close()


def tamper(settings: Settings, days: dict[str, date]) -> None:
    """Make each fact wrong on a day (`TAMPERED`), as no build that reread the day would leave it."""
    con = duckdb.connect(str(settings.build_db))
    try:
        for table, day in days.items():
            column = TAMPERED_COLUMN[table]
            con.execute(f"update marts.{table} set {column} = {TAMPERED} where {FACTS[table]} = ?", [day])
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("incremental") / "data"
    states: dict = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOCIALPULSE_HOME", str(home))
        mp.delenv("SOCIALPULSE_BUILD_DB", raising=False)
        mp.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
        for platform in ACCOUNTS:
            mp.setenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", "sandbox-token")
        for ds in DAYS:
            settings = extract_and_load(mp, ds)
            # the last one with the data tests: grain unique, keys, on the incremental tables
            build(settings, tests=ds == DAYS[-1])
        states["incremental"] = facts(settings)
        # the last day again: extracted, loaded and built a second time
        build(extract_and_load(mp, DAYS[-1]))
        states["rerun"] = facts(settings)
        # each fact wrong on its oldest day (before the window) and on the last day (in
        # it); then the daily build
        states["oldest"] = {t: min(r[c] for r in states["incremental"][t]) for t, c in FACTS.items()}
        tamper(settings, states["oldest"])
        tamper(settings, dict.fromkeys(FACTS, DAYS[-1]))
        build(settings)
        states["after_tampering"] = facts(settings)
        build(settings, "--full-refresh")
        states["full_refresh"] = facts(settings)
    return states


def test_daily_incremental_builds_equal_a_full_refresh(runs):
    incremental, full = runs["incremental"], runs["full_refresh"]
    # every platform, every day (X, Bluesky, Mastodon: the run days only)
    daily = incremental["fct_account_daily"]
    assert {r["platform"] for r in daily} == set(ACCOUNTS)
    assert {r["report_date"] for r in daily} == {DAYS[0] - timedelta(days=1), *DAYS}
    assert {r["snapshot_date"] for r in incremental["fct_post_snapshots"]} == set(DAYS)
    # follower growth compares with the day before, built by the previous run
    assert {r["platform"] for r in daily if r["follower_growth"] is not None} == set(ACCOUNTS)
    for table in FACTS:
        assert len(incremental[table]) == len(full[table]) > 0, table
        assert incremental[table] == full[table], table


def test_building_the_same_day_again_changes_nothing(runs):
    assert runs["rerun"] == runs["incremental"]


def test_a_daily_build_rewrites_the_reprocess_window_only(runs):
    """Rows before the window are not reread (the build costs the window, not the history)."""
    before, after = runs["incremental"], runs["after_tampering"]
    for table, date_column in FACTS.items():
        oldest = runs["oldest"][table]
        assert oldest < DAYS[-1] - timedelta(days=REPROCESS_DAYS), table
        old = [r for r in after[table] if r[date_column] == oldest]
        # the tampered day before the window stays as it was left
        assert old and all(r[TAMPERED_COLUMN[table]] == TAMPERED for r in old), table
        # the tampered day inside the window is rebuilt from the source, like every other
        rest = [r for r in after[table] if r[date_column] != oldest]
        assert rest == [r for r in before[table] if r[date_column] != oldest], table
