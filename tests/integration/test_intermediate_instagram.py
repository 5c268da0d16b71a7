"""Instagram intermediate models against the sandbox's truth.

sandbox (private, in-thread) -> extract 7 days -> landing -> raw -> `dbt build` of the
Instagram staging and intermediate models, then reconcile the intermediate models with
`sandbox.truth.truth` and the pure functions of `sandbox/platforms/instagram.py`.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sandbox import region
from sandbox.platforms import PLATFORMS
from sandbox.platforms import instagram as ig
from sandbox.server import serve_in_thread
from sandbox.truth import truth
from sandbox.world import World
from socialpulse.config import load_accounts
from socialpulse.connectors.client import RetryPolicy
from socialpulse.extract import extract_account
from socialpulse.load import load_landing
from socialpulse.settings import Settings
from tests.conftest import RUN_DS, SANDBOX_TODAY
from tests.integration._dbt_harness import build_platform_models
from tests.integration._dbt_harness import rows as _rows

pytestmark = pytest.mark.integration

PLATFORM = "instagram"
SEED = 42
DAYS = 7
START = RUN_DS - timedelta(days=DAYS - 1)
NULL_DAILY = ("unfollows", "views_paid", "views_organic", "page_views")
NULL_POST = ("views_paid", "views_organic", "clicks")


@pytest.fixture
def built(home, monkeypatch):
    """A private sandbox, 7 extracted days, landing loaded to raw, Instagram models built."""
    handle = serve_in_thread(port=0, seed=SEED, today=SANDBOX_TODAY, quiet=True)
    try:
        monkeypatch.setenv("SOCIALPULSE_SANDBOX_URL", handle.url)
        monkeypatch.setenv("SOCIALPULSE_INSTAGRAM_TOKEN", "sandbox-token")
        settings = Settings.from_env()
        cfg = load_accounts(settings.config_file)
        for acc in cfg.for_platform(PLATFORM):
            extract_account(
                settings, cfg, acc, RUN_DS, days=DAYS, run_id="int-test", policy=RetryPolicy(backoff_base=0.05)
            )
    finally:
        handle.stop()
    load_landing(settings.build_db, settings.landing_dir)
    con = build_platform_models(settings, PLATFORM, home / "dbt_target")
    yield con
    con.close()


def _truth() -> dict:
    return truth(seed=SEED, today=SANDBOX_TODAY, start=START, end=RUN_DS, platform=PLATFORM)


def _check_one_row_per_configured_account(built, expected):
    rows = _rows(built, "select * from intermediate.int_instagram__accounts_deduplicated")
    got = {r["account_id"]: (r["account_key"], r["account_name"], r["platform"], r["category"]) for r in rows}
    want = {f"instagram:{a['account_id']}": (a["key"], a["name"], "instagram", None) for a in expected["accounts"]}
    assert got == want


def _check_posts_are_the_window_posts_with_their_format(built, expected, world):
    rows = _rows(built, "select * from intermediate.int_instagram__posts_deduplicated")
    got = {r["post_id"]: r for r in rows}
    assert set(got) == {f"instagram:{p['post_id']}" for p in expected["posts"]}
    for account in region.accounts(PLATFORM):
        for post in world.posts_between(account, START, RUN_DS):
            row = got[f"instagram:{PLATFORMS[PLATFORM].post_id(post)}"]
            assert row["status_type"] == ig.media_type(post)
            want = {"reel": "reel", "photo": "photo"}.get(post.format, "video")
            assert row["format"] == want, (post.format, row)
            assert row["account_id"] == f"instagram:{account.account_id}"


def _check_post_engagements_as_of_last_day_match_truth(built, expected):
    rows = _rows(
        built,
        """
        select *,
            case when reactions is null and comments is null and shares is null and clicks is null
                then null
                else coalesce(reactions, 0) + coalesce(comments, 0) + coalesce(shares, 0) + coalesce(clicks, 0)
            end as engagements
        from intermediate.int_instagram__post_snapshots_pivoted
        where snapshot_date = date '2026-11-19'
        """,
    )
    window_posts = {p["post_id"] for p in expected["posts"]}
    metrics = {m["post_id"]: m for m in expected["post_metrics"] if m["as_of"] == RUN_DS.isoformat()}
    assert {r["post_id"] for r in rows} == {f"instagram:{p}" for p in window_posts}
    for row in rows:
        m = metrics[row["post_id"].split(":", 1)[1]]
        # Instagram has no clicks: engagements = likes + comments + shares
        assert row["engagements"] == m["reactions_total"] + m["comments"] + m["shares"], row["post_id"]
        assert (row["views"], row["reach"], row["reactions"], row["comments"], row["shares"]) == (
            m["views"],
            m["viewers"],
            m["reactions_total"],
            m["comments"],
            m["shares"],
        )
        assert all(row[c] is None for c in NULL_POST), row


def _check_media_insights_pure_function_agrees(built, world):
    rows = _rows(built, "select * from intermediate.int_instagram__post_snapshots_pivoted")
    got = {(r["post_id"], r["snapshot_date"]): r for r in rows}
    for account in region.accounts(PLATFORM):
        for post in world.posts_between(account, START, RUN_DS):
            row = got[(f"instagram:{PLATFORMS[PLATFORM].post_id(post)}", RUN_DS)]
            values = ig.media_insight_values(world, post, RUN_DS)
            assert (row["views"], row["reach"], row["reactions"], row["comments"], row["shares"]) == (
                values["views"],
                values["reach"],
                values["likes"],
                values["comments"],
                values["shares"],
            )


def _check_account_daily_matches_truth(built, expected, world):
    rows = _rows(built, "select * from intermediate.int_instagram__account_daily_pivoted")
    got = {(r["account_id"], r["report_date"]): r for r in rows}
    want_keys = {(f"instagram:{d['account_id']}", date.fromisoformat(d["date"])) for d in expected["account_daily"]}
    assert set(got) == want_keys
    accounts = {a.account_id: a for a in region.accounts(PLATFORM)}
    for day in expected["account_daily"]:
        report_date = date.fromisoformat(day["date"])
        row = got[(f"instagram:{day['account_id']}", report_date)]
        # followers only from the snapshot of that _ds: the single extraction's _ds
        assert row["followers"] == (day["followers"] if report_date == RUN_DS else None), row
        values = ig.account_day_values(world, accounts[day["account_id"]], report_date)
        assert row["follows"] == day["follows"] == values["follower_count"]
        assert row["views"] == day["views"] == values["views"]
        assert row["reach"] == day["viewers"] == values["reach"]
        assert row["post_engagements"] == day["post_engagements"] == values["total_interactions"]
        assert all(row[c] is None for c in NULL_DAILY), row


def test_instagram_intermediate_models_reconcile_with_truth(built):
    """One build, every reconciliation (a dbt build per check would be too slow)."""
    expected, world = _truth(), World(SEED)
    _check_one_row_per_configured_account(built, expected)
    _check_posts_are_the_window_posts_with_their_format(built, expected, world)
    _check_post_engagements_as_of_last_day_match_truth(built, expected)
    _check_media_insights_pure_function_agrees(built, world)
    _check_account_daily_matches_truth(built, expected, world)
