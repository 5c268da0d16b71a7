"""La veille's trend detector on the sandbox's scheduled incidents and a known quiet week.

One extract run of every configured account (`ds` = the day of the 17 November 2026
regional train strike, a 40-day window: four weeks of baseline before the quiet week
of 9-15 November, plus the comments of posts published before the window that are
missing from its first days) against an in-thread sandbox whose "today" is the next day,
one load, then `dbt build --select +rpt_topic_trends +rpt_topic_spikes +int_posts_unioned`
(`--target-path` under tmp), with the documented default thresholds (trends.md). The
strike must be one hourly `transports` spike whose first bucket is the hour the strike
starts, and the quiet week must raise no spike at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from sandbox import incidents
from sandbox.server import serve_in_thread
from sandbox.timeutil import DAY, paris_to_utc
from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.extract import extract_account
from socialpulse.load import load_landing
from socialpulse.settings import Settings
from tests.integration._dbt_harness import dbt_build, rows
from tests.integration._snapshot_platforms import FAST

pytestmark = pytest.mark.integration

SEED = 42
STRIKE = incidents.find("greve_ter-2026-11-17")
QUIET_FIRST, QUIET_LAST = incidents.KNOWN_QUIET_WEEK
RUN_DS = STRIKE.day
WINDOW_DAYS = 40  # 2026-10-09 .. 2026-11-17
PLATFORMS = ("facebook", "instagram", "linkedin", "x", "bluesky", "mastodon")
SELECT = ("+rpt_topic_trends", "+rpt_topic_spikes", "+int_posts_unioned")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The build database after one 40-day extraction of every account and the trend models."""
    home = tmp_path_factory.mktemp("trends") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOCIALPULSE_HOME", str(home))
        mp.delenv("SOCIALPULSE_BUILD_DB", raising=False)
        mp.delenv("SOCIALPULSE_SERVING_DB", raising=False)
        mp.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
        for platform in PLATFORMS:
            mp.setenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", "sandbox-token")
        with serve_in_thread(port=0, seed=SEED, today=RUN_DS + DAY, quiet=True) as handle:
            mp.setenv("SOCIALPULSE_SANDBOX_URL", handle.url)
            settings = Settings.from_env()
            cfg = load_accounts(settings.config_file)
            for platform in PLATFORMS:
                for account in cfg.for_platform(platform):
                    extract_account(settings, cfg, account, RUN_DS, days=WINDOW_DAYS, run_id="trends", policy=FAST)
        load_landing(settings.build_db, settings.landing_dir)
        # tests of unselected marts that also ref a selected model (dim_topics) stay out
        dbt_build(settings, SELECT, home.parent / "dbt_target", "--indirect-selection", "cautious")
        con = duckdb.connect(str(settings.build_db), read_only=True)
        try:
            yield con
        finally:
            con.close()


@pytest.fixture(scope="module")
def strike_truth() -> dict:
    t = truth(seed=SEED, today=RUN_DS + DAY, start=STRIKE.day, end=STRIKE.day)
    (found,) = [i for i in t["incidents"] if i["incident_id"] == STRIKE.incident_id]
    return found


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_the_strike_is_a_transports_spike_from_the_hour_it_starts(warehouse, strike_truth) -> None:
    start = _at(strike_truth["start"])
    assert start == STRIKE.start == paris_to_utc(STRIKE.day, 6 * 3600)
    spikes = rows(
        warehouse,
        "select * from marts.rpt_topic_spikes "
        "where granularity = 'hour' and dimension = 'topic' and value = 'transports' "
        f"and started_at >= timestamptz '{start - timedelta(hours=6)}' "
        f"and started_at < timestamptz '{_at(strike_truth['end'])}'",
    )
    assert len(spikes) == 1, spikes
    (spike,) = spikes
    # flagged within the hour it starts: its first bucket is the strike's first hour
    assert spike["started_at"].astimezone(UTC) == start
    assert start <= spike["first_seen_at"].astimezone(UTC) < start + timedelta(hours=1)
    assert spike["topic"] == "transports"
    # the surge the sandbox wrote in that hour is what raised it
    first_hour = strike_truth["surge_by_hour"][0]
    assert _at(first_hour["hour"]) == start
    assert spike["comment_count"] >= first_hour["comments"] * 0.9
    assert spike["robust_z"] >= 15 and spike["comment_count"] >= 20  # the documented thresholds
    # one spike over the strike's day, not one alert per hour
    assert spike["ended_at"].astimezone(UTC) >= start + timedelta(hours=8)
    assert spike["spike_bucket_count"] >= 8

    daily = rows(
        warehouse,
        "select * from marts.rpt_topic_spikes "
        "where granularity = 'day' and dimension = 'topic' and value = 'transports' "
        f"and started_at_local = timestamp '{STRIKE.day} 00:00:00'",
    )
    assert len(daily) == 1, daily
    hashtags = rows(
        warehouse,
        "select * from marts.rpt_topic_spikes where granularity = 'hour' and dimension = 'hashtag' "
        f"and value = '#greveter' and started_at >= timestamptz '{start}'",
    )
    assert hashtags and hashtags[0]["topic"] == "transports", hashtags


def test_spike_ids_are_the_documented_hash(warehouse) -> None:
    spikes = rows(warehouse, "select * from marts.rpt_topic_spikes")
    assert spikes, "no spike at all: the strike was missed"
    for spike in spikes:
        started = spike["started_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        key = "|".join((spike["granularity"], spike["dimension"], spike["value"], started))
        assert spike["spike_id"] == hashlib.md5(key.encode()).hexdigest()


def test_the_quiet_week_raises_no_spike(warehouse) -> None:
    first, end = paris_to_utc(QUIET_FIRST, 0), paris_to_utc(QUIET_LAST + DAY, 0)
    checked = rows(
        warehouse,
        "select granularity, count(*) as buckets, count(*) filter (where is_baseline_complete) as complete, "
        "max(robust_z) as max_z, count(*) filter (where is_spike) as spikes "
        "from marts.rpt_topic_trends "
        f"where bucket_start >= timestamptz '{first}' and bucket_start < timestamptz '{end}' "
        "group by granularity order by granularity",
    )
    assert {r["granularity"]: r["spikes"] for r in checked} == {"day": 0, "hour": 0}, checked
    # the week was really measured: every bucket has its four weeks of baseline
    assert all(r["buckets"] == r["complete"] > 0 for r in checked), checked
    started = rows(
        warehouse,
        "select * from marts.rpt_topic_spikes "
        f"where started_at >= timestamptz '{first}' and started_at < timestamptz '{end}'",
    )
    assert not started, started


def test_trend_volumes_are_the_worlds_comments(warehouse, strike_truth) -> None:
    """The hourly topic volumes add up to the public's comments of the window, hour by hour."""
    totals = rows(
        warehouse,
        "select bucket_start, sum(comment_count) as n from marts.rpt_topic_trends "
        "where granularity = 'hour' and dimension = 'topic' "
        f"and bucket_start >= timestamptz '{STRIKE.start}' and bucket_start < timestamptz '{STRIKE.end}' "
        "group by bucket_start order by bucket_start",
    )
    assert len(totals) == len(strike_truth["surge_by_hour"])
    # every surge comment is in its hour (with at least one topic), next to the ordinary ones
    for row, surge in zip(totals, strike_truth["surge_by_hour"], strict=True):
        assert row["bucket_start"].astimezone(UTC) == _at(surge["hour"])
        assert row["n"] >= surge["comments"]
