"""Shared harness of the intermediate tests of X, Bluesky and Mastodon (no daily series).

Two daily extract runs (`_ds` RUN_DS - 1 and RUN_DS), each against a private in-thread
sandbox whose "today" is the day after its `_ds`, so each run sees the world as of the
end of its `_ds`; then load, then `dbt build` of the platform's staging and
intermediate models only (`--target-path` under tmp).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb

from sandbox.server import serve_in_thread
from socialpulse.config import load_accounts
from socialpulse.connectors.client import RetryPolicy
from socialpulse.extract import extract_account
from socialpulse.load import load_landing
from socialpulse.settings import Settings
from tests.conftest import RUN_DS
from tests.integration._dbt_harness import build_platform_models, rows

FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)
RUN_DAYS = (RUN_DS - timedelta(days=1), RUN_DS)
WINDOW_DAYS = 7  # each run reads the posts of its last 7 days
FIRST_POST_DAY = RUN_DAYS[0] - timedelta(days=WINDOW_DAYS - 1)
ACCOUNT_DAILY_METRICS = (
    "follows",
    "unfollows",
    "views",
    "views_paid",
    "views_organic",
    "reach",
    "post_engagements",
    "page_views",
)


def in_window(created_at: str, ds: date) -> bool:
    """Whether a post created at `created_at` (truth ISO string) is read by the run of `ds`."""
    return ds - timedelta(days=WINDOW_DAYS - 1) <= date.fromisoformat(created_at[:10]) <= ds


def build(platform: str, monkeypatch, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """Extract RUN_DAYS for every configured account of `platform`, load, build; read-only connection."""
    monkeypatch.setenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", "sandbox-token")
    for ds in RUN_DAYS:
        handle = serve_in_thread(port=0, seed=42, today=ds + timedelta(days=1), quiet=True)
        try:
            monkeypatch.setenv("SOCIALPULSE_SANDBOX_URL", handle.url)
            settings = Settings.from_env()
            cfg = load_accounts(settings.config_file)
            accounts = cfg.for_platform(platform)
            assert accounts, f"no {platform} account in {settings.config_file}"
            for account in accounts:
                extract_account(settings, cfg, account, ds, days=WINDOW_DAYS, run_id=f"int-{ds}", policy=FAST)
        finally:
            handle.stop()
    load_landing(settings.build_db, settings.landing_dir, platform=platform)
    return build_platform_models(settings, platform, tmp_path / "dbt_target")


def engagements(row: dict) -> int | None:
    """reactions + comments + shares + clicks; a NULL counts as 0, all NULL gives NULL."""
    parts = [row[c] for c in ("reactions", "comments", "shares", "clicks")]
    return None if all(p is None for p in parts) else sum(p or 0 for p in parts)


def check_account_daily(con, platform: str, truth_daily: list[dict]) -> None:
    """One row per account and `_ds`, followers = the world's followers at the end of that day."""
    expected = {
        (f"{platform}:{r['account_id']}", date.fromisoformat(r["date"])): r["followers"]
        for r in truth_daily
        if date.fromisoformat(r["date"]) in RUN_DAYS
    }
    daily = rows(con, f"select * from intermediate.int_{platform}__account_daily_pivoted")
    assert {(r["account_id"], r["report_date"]): r["followers"] for r in daily} == expected
    for r in daily:
        assert r["platform"] == platform
        assert all(r[m] is None for m in ACCOUNT_DAILY_METRICS), r


def check_accounts(con, platform: str, region_accounts) -> None:
    accounts = rows(con, f"select * from intermediate.int_{platform}__accounts_deduplicated")
    assert {(a["account_id"], a["platform_account_id"], a["account_key"]) for a in accounts} == {
        (f"{platform}:{a.account_id}", a.account_id, a.key) for a in region_accounts
    }
    assert all(a["platform"] == platform and a["account_name"] and a["category"] is None for a in accounts)
    assert all(a["_ds"] == RUN_DS for a in accounts)


def check_posts(con, platform: str, truth_posts: list[dict]) -> dict[str, dict]:
    """One row per post of the window, latest attributes; returns the truth posts by warehouse id."""
    expected = {f"{platform}:{p['post_id']}": p for p in truth_posts}
    posts = rows(con, f"select * from intermediate.int_{platform}__posts_deduplicated")
    assert {p["post_id"] for p in posts} == set(expected)
    for p in posts:
        t = expected[p["post_id"]]
        assert p["platform"] == platform and p["status_type"] is None
        assert p["published_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == t["created_at"]
        assert p["permalink_url"] == t["permalink_url"]
        # the latest extraction that read the post wins
        assert p["_ds"] == max(ds for ds in RUN_DAYS if in_window(t["created_at"], ds))
    return expected


def snapshots(con, platform: str, posts: dict[str, dict]) -> dict[tuple[str, date], dict]:
    snaps = rows(con, f"select * from intermediate.int_{platform}__post_snapshots_pivoted")
    by_key = {(s["post_id"], s["snapshot_date"]): s for s in snaps}
    assert len(by_key) == len(snaps)
    for ds in RUN_DAYS:
        # each run snapshots exactly the posts of its window
        assert {p for p, d in by_key if d == ds} == {p for p, t in posts.items() if in_window(t["created_at"], ds)}
    assert all(s["platform"] == platform for s in snaps)
    return by_key
