"""LinkedIn intermediate models against the sandbox's truth.

sandbox (private, in-thread) -> extract 7 days -> landing -> raw -> `dbt build` of the
LinkedIn staging and intermediate models, then reconcile the intermediate models with
`sandbox.truth.truth` and the pure functions of `sandbox/platforms/linkedin.py`.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sandbox import region
from sandbox.platforms import PLATFORMS
from sandbox.platforms import linkedin as li
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

PLATFORM = "linkedin"
SEED = 42
DAYS = 7
START = RUN_DS - timedelta(days=DAYS - 1)
NULL_DAILY = ("follows", "unfollows", "views", "views_paid", "page_views")
NULL_POST = ("views", "views_paid")
STATUS_TYPE = {"photo": "image", "video": "video", "link": "article", "text": "none"}


@pytest.fixture
def built(home, monkeypatch):
    """A private sandbox, 7 extracted days, landing loaded to raw, LinkedIn models built."""
    handle = serve_in_thread(port=0, seed=SEED, today=SANDBOX_TODAY, quiet=True)
    try:
        monkeypatch.setenv("SOCIALPULSE_SANDBOX_URL", handle.url)
        monkeypatch.setenv("SOCIALPULSE_LINKEDIN_TOKEN", "sandbox-token")
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
    rows = _rows(built, "select * from intermediate.int_linkedin__accounts_deduplicated")
    got = {r["account_id"]: (r["account_key"], r["account_name"], r["platform"], r["category"]) for r in rows}
    want = {f"linkedin:{a['account_id']}": (a["key"], a["name"], "linkedin", None) for a in expected["accounts"]}
    assert got == want


def _check_posts_are_the_window_posts_with_their_format(built, expected, world):
    rows = _rows(built, "select * from intermediate.int_linkedin__posts_deduplicated")
    got = {r["post_id"]: r for r in rows}
    assert set(got) == {f"linkedin:{p['post_id']}" for p in expected["posts"]}
    for account in region.accounts(PLATFORM):
        for post in world.posts_between(account, START, RUN_DS):
            row = got[f"linkedin:{PLATFORMS[PLATFORM].post_id(post)}"]
            assert (row["format"], row["status_type"]) == (post.format, STATUS_TYPE[post.format]), row
            assert row["account_id"] == f"linkedin:{account.account_id}"


def _check_post_engagements_as_of_last_day_match_truth(built, expected):
    rows = _rows(
        built,
        """
        select *,
            case when reactions is null and comments is null and shares is null and clicks is null
                then null
                else coalesce(reactions, 0) + coalesce(comments, 0) + coalesce(shares, 0) + coalesce(clicks, 0)
            end as engagements
        from intermediate.int_linkedin__post_snapshots_pivoted
        where snapshot_date = date '2026-11-19'
        """,
    )
    metrics = {m["post_id"]: m for m in expected["post_metrics"] if m["as_of"] == RUN_DS.isoformat()}
    assert {r["post_id"] for r in rows} == {f"linkedin:{p['post_id']}" for p in expected["posts"]}
    for row in rows:
        m = metrics[row["post_id"].split(":", 1)[1]]
        assert row["engagements"] == m["engagements"], row["post_id"]
        assert (row["reactions"], row["comments"], row["shares"], row["clicks"]) == (
            m["reactions_total"],
            m["comments"],
            m["shares"],
            m["clicks"],
        )
        # organic only: impressions are the views that did not come from ads
        assert row["views_organic"] == m["views"] - m["views_paid"]
        assert all(row[c] is None for c in NULL_POST), row


def _check_post_statistics_pure_function_agrees(built, world):
    rows = _rows(built, "select * from intermediate.int_linkedin__post_snapshots_pivoted")
    got = {(r["post_id"], r["snapshot_date"]): r for r in rows}
    for account in region.accounts(PLATFORM):
        for post in world.posts_between(account, START, RUN_DS):
            row = got[(f"linkedin:{PLATFORMS[PLATFORM].post_id(post)}", RUN_DS)]
            stats = li.post_share_statistics(world, post, RUN_DS)
            assert (row["views_organic"], row["reach"], row["reactions"], row["clicks"]) == (
                stats["impressionCount"],
                stats["uniqueImpressionsCount"],
                stats["likeCount"],
                stats["clickCount"],
            )


def _check_account_daily_matches_truth(built, expected, world):
    rows = _rows(built, "select * from intermediate.int_linkedin__account_daily_pivoted")
    got = {(r["account_id"], r["report_date"]): r for r in rows}
    want_keys = {(f"linkedin:{d['account_id']}", date.fromisoformat(d["date"])) for d in expected["account_daily"]}
    assert set(got) == want_keys
    accounts = {a.account_id: a for a in region.accounts(PLATFORM)}
    for day in expected["account_daily"]:
        report_date = date.fromisoformat(day["date"])
        row = got[(f"linkedin:{day['account_id']}", report_date)]
        # the last day from firstDegreeSize, earlier days walked back with the net gains
        assert row["followers"] == day["followers"], row
        stats = li.share_statistics_day(world, accounts[day["account_id"]], report_date)
        assert row["views_organic"] == day["views"] - day["views_paid"] == stats["impressionCount"]
        assert row["reach"] == stats["uniqueImpressionsCount"]
        assert row["post_engagements"] == (
            stats["likeCount"] + stats["commentCount"] + stats["shareCount"] + stats["clickCount"]
        )
        assert all(row[c] is None for c in NULL_DAILY), row


def test_linkedin_intermediate_models_reconcile_with_truth(built):
    """One build, every reconciliation (a dbt build per check would be too slow)."""
    expected, world = _truth(), World(SEED)
    _check_one_row_per_configured_account(built, expected)
    _check_posts_are_the_window_posts_with_their_format(built, expected, world)
    _check_post_engagements_as_of_last_day_match_truth(built, expected)
    _check_post_statistics_pure_function_agrees(built, world)
    _check_account_daily_matches_truth(built, expected, world)
