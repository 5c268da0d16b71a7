"""The Instagram connector against the real sandbox over HTTP, reconciled with the world."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import httpx
import pyarrow.parquet as pq
import pytest

from sandbox import region
from sandbox.platforms import instagram as ig_sandbox
from sandbox.timeutil import day_start
from sandbox.truth import truth
from sandbox.world import World
from socialpulse.config import Account, load_accounts
from socialpulse.connectors import instagram
from socialpulse.connectors.client import AuthError, RetryPolicy
from socialpulse.extract import extract_account
from tests.conftest import RUN_DS, SANDBOX_TODAY
from tests.plugins._connector_helpers import inject_fault

FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)
SEED = 42
IG_ACCOUNTS = region.accounts("instagram")
MAIN, JEUNESSE = (a.key for a in IG_ACCOUNTS)
fault = partial(inject_fault, platform="instagram")


@pytest.fixture
def settings(home, sandbox, tmp_path, monkeypatch):
    """Settings for a config holding only the Instagram accounts, token in the environment."""
    from socialpulse.settings import Settings

    lines = ['region: "Région Val-d\'Argent"', "platforms:", "  instagram:", "    api_version: v25.0", "accounts:"]
    for a in IG_ACCOUNTS:
        lines += [f"  - key: {a.key}", "    platform: instagram", f'    account_id: "{a.account_id}"']
    config = tmp_path / "accounts.yml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("SOCIALPULSE_ACCOUNTS", str(config))
    monkeypatch.setenv("SOCIALPULSE_INSTAGRAM_TOKEN", "sandbox-token")
    return Settings.from_env()


@pytest.fixture
def cfg(settings):
    return load_accounts(settings.config_file)


def landed(settings, entity: str) -> list[dict]:
    rows: list[dict] = []
    for path in sorted(settings.landing_dir.glob(f"platform=instagram/entity={entity}/ds=*/account=*.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def without_volatile(rows: list[dict]) -> list[tuple]:
    volatile = {"fetched_at", "_extracted_at", "_run_id"}
    return sorted((tuple(sorted((k, v) for k, v in r.items() if k not in volatile)) for r in rows), key=repr)


def entities() -> list[str]:
    return list(instagram.LANDING_SCHEMAS)


def test_extracts_an_account_and_reconciles_with_truth(settings, cfg, sandbox):
    acc = cfg.account(MAIN)
    result = extract_account(settings, cfg, acc, RUN_DS, days=3, run_id="t1", policy=FAST)
    assert set(result.rows) == set(entities())
    assert result.rows["account_snapshots"] == 1 and result.retries == 0 and result.throttled == 0
    start = RUN_DS - timedelta(days=2)
    t = truth(seed=SEED, today=SANDBOX_TODAY, start=start, end=RUN_DS, platform="instagram")
    world = World(SEED)
    account = region.account_by_id("instagram", acc.account_id)

    (snap,) = landed(settings, "account_snapshots")
    assert snap["followers_count"] == world.followers(account, RUN_DS)
    assert snap["username"] == account.username

    insights = landed(settings, "account_insights")
    daily = {(r["date"]): r for r in t["account_daily"] if r["account_id"] == acc.account_id}
    series = {
        (r["metric"], r["report_date"].isoformat()): r["value"] for r in insights if r["metric_type"] == "time_series"
    }
    totals = {
        (r["metric"], r["report_date"].isoformat()): r["value"] for r in insights if r["metric_type"] == "total_value"
    }
    assert len(series) == 2 * 3 and len(totals) == len(instagram.DAILY_TOTAL_METRICS) * 3
    for day, row in daily.items():
        assert series[("reach", day)] == row["viewers"] == totals[("reach", day)]
        assert series[("follower_count", day)] == row["follows"]
        assert totals[("views", day)] == row["views"]
        assert totals[("total_interactions", day)] == row["post_engagements"]
        parts = sum(totals[(m, day)] for m in ("likes", "comments", "shares", "saves"))
        assert parts == row["post_engagements"]

    demo = [r for r in landed(settings, "audience_demographics") if r["metric"] == "follower_demographics"]
    assert {r["breakdown"] for r in demo} == {"age", "gender", "city", "country", "age,gender"}
    cities = [r for r in demo if r["breakdown"] == "city"]
    assert len(cities) == ig_sandbox.TOP_VALUES, "top-45 rule"
    genders = {r["breakdown_value"]: r["value"] for r in demo if r["breakdown"] == "gender"}
    assert genders == ig_sandbox.follower_demographics(world, account, RUN_DS, "gender")
    assert sum(genders.values()) < snap["followers_count"]

    media = landed(settings, "media")
    expected = {p["post_id"] for p in t["posts"] if p["account_id"] == acc.account_id}
    assert expected and {m["media_id"] for m in media} == expected, "paging covers every post of the window"
    assert {m["media_product_type"] for m in media} <= {"FEED", "REELS"}
    metrics = {(m["post_id"]): m for m in t["post_metrics"] if m["as_of"] == RUN_DS.isoformat()}
    values = {(r["media_id"], r["metric"]): r["value"] for r in landed(settings, "media_insights")}
    for m in media:
        truth_row = metrics[m["media_id"]]
        assert values[(m["media_id"], "views")] == truth_row["views"]
        assert values[(m["media_id"], "reach")] == truth_row["viewers"]
        assert values[(m["media_id"], "likes")] == truth_row["reactions_total"] == m["like_count"]
        assert values[(m["media_id"], "saved")] == truth_row["clicks"]
        assert values[(m["media_id"], "total_interactions")] == truth_row["engagements"]
        assert ((m["media_id"], "ig_reels_avg_watch_time") in values) == (m["media_product_type"] == "REELS")

    comments = landed(settings, "comments")
    truth_comments = [c for c in t["comments"] if c["post_id"] in expected]
    assert {c["comment_id"] for c in comments} == {c["comment_id"] for c in truth_comments}
    own = {c["comment_id"] for c in truth_comments if c["is_from_page"]}
    assert own and {c["comment_id"] for c in comments if c["is_from_account"]} == own
    parents = {c["comment_id"]: c["parent_id"] for c in truth_comments}
    assert all(c["parent_comment_id"] == parents[c["comment_id"]] for c in comments)


def test_audience_demographics_land_the_served_buckets_only(settings, cfg, sandbox):
    """Followers and reached audience by age x gender: a withheld bucket lands as no row, never as 0."""
    acc = cfg.account(JEUNESSE)
    extract_account(settings, cfg, acc, RUN_DS, days=1, run_id="t", policy=FAST)
    account = region.account_by_id("instagram", acc.account_id)
    truth_rows = truth(seed=SEED, today=SANDBOX_TODAY, start=RUN_DS, end=RUN_DS, platform="instagram")["audience"]
    demo = landed(settings, "audience_demographics")
    assert {(r["metric"], r["breakdown"]) for r in demo} == {
        (m, b) for m in instagram.DEMOGRAPHIC_METRICS for b in instagram.DEMOGRAPHIC_BREAKDOWNS
    }
    assert {r["timeframe"] for r in demo} == {"this_month"}
    for audience, metric in ig_sandbox.AUDIENCE_METRICS.items():
        mine = [t for t in truth_rows if t["account_id"] == acc.account_id and t["audience"] == audience]
        withheld = {f"{t['age_bucket']},{t['gender']}" for t in mine if t["is_withheld"]}
        served = {f"{t['age_bucket']},{t['gender']}": t["value"] for t in mine if not t["is_withheld"]}
        by_breakdown = {b: {} for b in instagram.DEMOGRAPHIC_BREAKDOWNS}
        for r in demo:
            if r["metric"] == metric:
                by_breakdown[r["breakdown"]][r["breakdown_value"]] = r["value"]
        got, ages = by_breakdown["age,gender"], by_breakdown["age"]
        assert withheld and got == served and not withheld & set(got)
        assert ages == dict(ig_sandbox.top_values(ig_sandbox.demographics(World(SEED), account, RUN_DS, metric, "age")))
    assert min(r["value"] for r in demo) >= ig_sandbox.PRIVACY_THRESHOLD


def all_landed_values(settings) -> set[str]:
    values: set[str] = set()
    for path in settings.landing_dir.rglob("*.parquet"):
        for row in pq.read_table(path).to_pylist():
            values.update(str(v) for v in row.values() if v is not None)
    return values


def test_no_token_and_no_commenter_identity_reaches_landing(settings, cfg, sandbox):
    extract_account(settings, cfg, cfg.account(JEUNESSE), RUN_DS, days=3, run_id="t", policy=FAST)
    values = all_landed_values(settings)
    assert not any("sandbox-token" in v for v in values)
    comments = landed(settings, "comments")
    outsiders = [c for c in comments if not c["is_from_account"]]
    assert outsiders and all(len(c["author_pseudo_id"]) == 32 for c in outsiders)
    world = World(SEED)
    account = next(a for a in IG_ACCOUNTS if a.key == JEUNESSE)
    handles, ids = set(), set()
    for post in world.posts_between(account, RUN_DS - timedelta(days=2), RUN_DS):
        for c in world.comments_before(post, day_start(SANDBOX_TODAY)):
            if not c.is_from_page:
                handles.add(ig_sandbox.commenter_username(c))
                ids.update({c.author_id, ig_sandbox.commenter_igsid(c)})
    assert handles, "the window has comments from people"
    assert not (handles | ids) & values, "commenter handles and ids must never be landed"


def test_throttle_429_is_waited_out_then_the_result_is_identical(settings, cfg, sandbox):
    acc = cfg.account(JEUNESSE)
    extract_account(settings, cfg, acc, RUN_DS, days=2, run_id="clean", policy=FAST)
    clean = {e: without_volatile(landed(settings, e)) for e in entities()}
    fault(sandbox, kind="http_429", count=2, path="/insights")
    result = extract_account(settings, cfg, acc, RUN_DS, days=2, run_id="faulty", policy=FAST)
    assert result.throttled == 2
    assert {e: without_volatile(landed(settings, e)) for e in entities()} == clean


def test_server_errors_are_retried(settings, cfg, sandbox):
    fault(sandbox, kind="http_500", count=3)
    result = extract_account(settings, cfg, cfg.account(MAIN), RUN_DS, days=1, run_id="t", policy=FAST)
    assert result.retries == 3
    assert result.rows["account_snapshots"] == 1


def test_expired_token_fails_fast_and_lands_nothing(settings, cfg, sandbox, monkeypatch):
    monkeypatch.setenv("SOCIALPULSE_INSTAGRAM_TOKEN", "sandbox-expired-token")
    before = httpx.get(f"{sandbox}/__sandbox__/stats").json()["total"]
    with pytest.raises(AuthError, match=r"Graph error 190/463.*Instagram account") as err:
        extract_account(settings, cfg, cfg.account(MAIN), RUN_DS, days=2, run_id="t", policy=FAST)
    assert httpx.get(f"{sandbox}/__sandbox__/stats").json()["total"] - before == 1, "no retry on an auth error"
    assert "sandbox-expired-token" not in str(err.value)
    assert not settings.landing_dir.exists() or not any(settings.landing_dir.rglob("*.parquet"))


def test_a_metric_refused_for_a_product_type_is_dropped_not_fatal(settings, cfg, sandbox, monkeypatch):
    """Instagram fails the whole media insights request for one unfit metric: drop it, keep the rest."""
    monkeypatch.setitem(
        instagram.MEDIA_METRICS_BY_PRODUCT, "FEED", (*instagram.FEED_METRICS, "ig_reels_avg_watch_time")
    )
    monkeypatch.setitem(instagram.MEDIA_METRICS_BY_PRODUCT, "REELS", ("impressions", *instagram.FEED_METRICS))
    result = extract_account(settings, cfg, cfg.account(MAIN), RUN_DS, days=3, run_id="t", policy=FAST)
    media = landed(settings, "media")
    rows = landed(settings, "media_insights")
    assert result.rows["media"] == len(media) > 0
    assert {r["media_id"] for r in rows if r["metric"] == "views"} == {m["media_id"] for m in media}
    assert not {r["metric"] for r in rows} & {"impressions", "ig_reels_avg_watch_time"}
    products = {m["media_product_type"] for m in media}
    # One refused request per product type present, then the metric is not asked again.
    demographics = len(instagram.DEMOGRAPHIC_METRICS) * len(instagram.DEMOGRAPHIC_BREAKDOWNS)
    assert result.requests <= 1 + 3 * 2 + demographics + 1 + 2 * len(media) + len(products)


def test_story_media_get_no_insights_request():
    """STORY insights only exist while the story is live: the connector does not ask for them."""

    class NoCalls:
        def get(self, *args, **kwargs):
            raise AssertionError("no request expected for a story")

    account = Account(key=MAIN, platform="instagram", account_id=IG_ACCOUNTS[0].account_id, name="x")
    extractor = instagram.InstagramExtractor(NoCalls(), account, "key")
    assert extractor.media_insights("18000000000000001", "STORY") == []
    assert extractor.media_insights("18000000000000002", None) == []
