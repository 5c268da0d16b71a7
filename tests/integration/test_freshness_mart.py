"""rpt_data_freshness on a real build: ages are exact, and only the account past its limit is stale.

Daily extract runs of every configured account of the six platforms (3-day lookback,
as configured), each against a private in-thread sandbox whose "today" is the day after
its `_ds`, into a temporary SOCIALPULSE_HOME; load; `dbt build --select
+rpt_data_freshness` with `as_of` computed as the build DAG does (the loader's `max_ds`
+ 1 day). Two phases:

1. FIRST_RUNS for everyone: every account's newest day is the last day extracted, age 0,
   nothing stale.
2. LATER_RUNS for everyone but:
   * Bluesky's account (limit 24 h) misses both days: 48 h behind, stale;
   * a Facebook account (limit 48 h) misses both days too: 48 h behind, still fresh;
   * a Mastodon account (limit 24 h) misses the last day: 24 h, fresh (the limit itself);
   * a Facebook account's last `page_insights` file is lost before the load: its newest
     day is the last one, but its newest *complete* day the one before (24 h, fresh),
     with `page_insights` named as lagging.
   Only the Bluesky account is stale, with age 48. A build without `as_of` and a
   rebuild give the very same rows.

Posts and comments: the newest of each account equals the sandbox truth of the runs it
had.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from sandbox.server import serve_in_thread
from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.extract import extract_account
from socialpulse.landing import Partition
from socialpulse.load import load_landing
from socialpulse.settings import REPO_ROOT, Settings
from tests.conftest import RUN_DS
from tests.integration._dbt_harness import DBT, rows
from tests.integration._snapshot_platforms import FAST

pytestmark = pytest.mark.integration

SEED = 42
PLATFORMS = ("facebook", "instagram", "linkedin", "x", "bluesky", "mastodon")
LOOKBACK = 3  # lookback_days of every platform in config/accounts.yml
LAST_DAY = RUN_DS
LATER_RUNS = (LAST_DAY - timedelta(days=1), LAST_DAY)
FIRST_RUNS = tuple(LATER_RUNS[0] - timedelta(days=i) for i in range(4, 0, -1))
LIMITS = {"facebook": 48, "instagram": 48, "linkedin": 72, "x": 24, "bluesky": 24, "mastodon": 24}
"""The seed freshness_limits, restated: a change of a limit is a decision, not a refactoring."""

STALE = ("bluesky", "bsky_region_main")  # misses LATER_RUNS: 48 h > 24 h
SAME_AGE_FRESH = ("facebook", "region_jeunesse")  # misses LATER_RUNS: 48 h, not > 48 h
ONE_DAY_BEHIND = ("mastodon", "masto_region_transports")  # misses LAST_DAY: 24 h, not > 24 h
PARTIAL = ("facebook", "region_transports")  # its LAST_DAY page_insights file is lost
LOST = Partition("facebook", "page_insights", LAST_DAY, PARTIAL[1])
SKIPPED = {STALE: set(LATER_RUNS), SAME_AGE_FRESH: set(LATER_RUNS), ONE_DAY_BEHIND: {LAST_DAY}}


def _end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


def _extract(patch: pytest.MonkeyPatch, days: tuple[date, ...], ran: dict[tuple[str, str], list[date]]) -> Settings:
    """One daily run per day of every account (but those SKIPPED that day); `ran` records who ran when."""
    for ds in days:
        handle = serve_in_thread(port=0, seed=SEED, today=ds + timedelta(days=1), quiet=True)
        try:
            patch.setenv("SOCIALPULSE_SANDBOX_URL", handle.url)
            settings = Settings.from_env()
            cfg = load_accounts(settings.config_file)
            for platform in PLATFORMS:
                for account in cfg.for_platform(platform):
                    key = (platform, account.key)
                    if ds in SKIPPED.get(key, ()):
                        continue
                    extract_account(settings, cfg, account, ds, days=LOOKBACK, run_id=f"fresh-{ds}", policy=FAST)
                    ran.setdefault(key, []).append(ds)
        finally:
            handle.stop()
    return settings


def _load(settings: Settings) -> str:
    """Load as the build DAG does; its `as_of`: the end of the newest day loaded (macros.ds_add(max_ds, 1))."""
    report = load_landing(settings.build_db, settings.landing_dir)
    assert report.max_ds, report.summary()
    return (date.fromisoformat(report.max_ds) + timedelta(days=1)).isoformat()


def _dbt_build(settings: Settings, target: Path, select: str, as_of: str | None) -> None:
    dbt_vars = ["--vars", json.dumps({"as_of": as_of})] if as_of else []
    proc = subprocess.run(
        [DBT, "build", "--select", select, "--indirect-selection", "cautious", *dbt_vars]
        + ["--project-dir", "dbt_project", "--profiles-dir", "dbt_project", "--target-path", str(target)],
        cwd=REPO_ROOT,
        env={**os.environ, **settings.dbt_env()},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "ERROR=0" in proc.stdout


def _freshness(settings: Settings) -> dict[tuple[str, str], dict]:
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        con.execute("set timezone = 'UTC'")
        found = rows(con, "select * from marts.rpt_data_freshness order by platform, account_id")
    finally:
        con.close()
    by_key = {(r["platform"], r["account_key"]): r for r in found}
    assert len(by_key) == len(found), "an account appears twice"
    return by_key


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("freshness")
    target = root / "dbt_target"
    ran: dict[tuple[str, str], list[date]] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOCIALPULSE_HOME", str(root / "data"))
        patch.delenv("SOCIALPULSE_BUILD_DB", raising=False)
        patch.delenv("SOCIALPULSE_SERVING_DB", raising=False)
        patch.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
        for platform in PLATFORMS:
            patch.setenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", "sandbox-token")

        settings = _extract(patch, FIRST_RUNS, ran)
        first_as_of = _load(settings)
        _dbt_build(settings, target, "+rpt_data_freshness", first_as_of)
        first = _freshness(settings)
        first_ran = {key: list(days) for key, days in ran.items()}

        settings = _extract(patch, LATER_RUNS, ran)
        lost = settings.landing_dir / LOST.relpath()
        assert lost.exists(), lost
        lost.unlink()
        later_as_of = _load(settings)
        _dbt_build(settings, target, "+rpt_data_freshness", later_as_of)
        later = _freshness(settings)
        _dbt_build(settings, target, "rpt_data_freshness", None)
        without_as_of = _freshness(settings)
        _dbt_build(settings, target, "rpt_data_freshness", later_as_of)
        rebuilt = _freshness(settings)
        yield {
            "settings": settings,
            "first": (first_as_of, first, first_ran),
            "later": (later_as_of, later, ran),
            "without_as_of": without_as_of,
            "rebuilt": rebuilt,
        }


def _configured() -> set[tuple[str, str]]:
    cfg = load_accounts(Settings.from_env().config_file)
    return {(platform, account.key) for platform in PLATFORMS for account in cfg.for_platform(platform)}


def _newest_in_truth(ran: dict[tuple[str, str], list[date]]) -> tuple[dict, dict]:
    """Per warehouse account id: the newest post and comment (ISO UTC) the runs that ran could read.

    The run of ds reads the posts of its LOOKBACK days and their comments up to the end of ds:
    what the truth lists for start = ds - LOOKBACK + 1, end = ds, today = ds + 1."""
    posts: dict[str, str] = {}
    comments: dict[str, str] = {}
    for ds in sorted({d for days in ran.values() for d in days}):
        t = truth(SEED, ds + timedelta(days=1), ds - timedelta(days=LOOKBACK - 1), ds)
        keys = {(a["platform"], a["account_id"]): (a["platform"], a["key"]) for a in t["accounts"]}
        owner = {}
        for p in t["posts"]:
            if ds not in ran.get(keys[(p["platform"], p["account_id"])], ()):
                continue
            account_id = f"{p['platform']}:{p['account_id']}"
            owner[p["post_id"]] = account_id
            posts[account_id] = max(posts.get(account_id, ""), p["created_at"])
        for c in t["comments"]:
            if c["post_id"] in owner:
                account_id = owner[c["post_id"]]
                comments[account_id] = max(comments.get(account_id, ""), c["created_at"])
    return posts, comments


def _iso(ts: datetime | None) -> str | None:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts is not None else None


def _check_context_columns(found: dict, ran: dict, complete: dict) -> None:
    """Newest post and comment equal the truth; the newest report date is the newest complete day."""
    posts, comments = _newest_in_truth(ran)
    for key, row in found.items():
        assert _iso(row["newest_published_at"]) == posts.get(row["account_id"]), key
        assert _iso(row["newest_comment_created_at"]) == comments.get(row["account_id"]), key
        assert row["newest_report_date"] == complete[key], key
        assert row["last_loaded_at"] is not None, key


def test_every_configured_account_has_one_row_with_its_platform_limit(built):
    _, found, _ = built["later"]
    assert set(found) == _configured()
    assert {key: r["max_age_hours"] for key, r in found.items()} == {key: LIMITS[key[0]] for key in found}


def test_first_phase_every_account_is_as_of_the_last_day_extracted_age_zero(built):
    as_of, found, ran = built["first"]
    measured = _end_of(FIRST_RUNS[-1])
    assert as_of == measured.date().isoformat()
    for key, row in found.items():
        assert ran[key][-1] == FIRST_RUNS[-1]
        assert row["newest_loaded_ds"] == row["data_as_of"] == FIRST_RUNS[-1], key
        assert row["lagging_entities"] is None, key
        assert row["measured_at"] == measured, key
        assert row["age_hours"] == 0.0, key
        assert row["is_stale"] is False, key
    _check_context_columns(found, ran, {key: FIRST_RUNS[-1] for key in found})


def test_second_phase_newest_days_and_exact_ages(built):
    as_of, found, ran = built["later"]
    measured = _end_of(LAST_DAY)
    assert as_of == measured.date().isoformat()
    complete = {key: max(days) for key, days in ran.items()}
    complete[PARTIAL] = LAST_DAY - timedelta(days=1)
    for key, row in found.items():
        assert row["newest_loaded_ds"] == max(ran[key]), key
        assert row["data_as_of"] == complete[key], key
        assert row["measured_at"] == measured, key
        assert row["age_hours"] == (measured - _end_of(complete[key])).total_seconds() / 3600, key
        assert row["is_stale"] is (row["age_hours"] > LIMITS[key[0]]), key
        assert row["lagging_entities"] == ("page_insights" if key == PARTIAL else None), key
    assert found[STALE]["data_as_of"] == FIRST_RUNS[-1]
    assert found[SAME_AGE_FRESH]["data_as_of"] == FIRST_RUNS[-1]
    ages = {key: found[key]["age_hours"] for key in (STALE, SAME_AGE_FRESH, ONE_DAY_BEHIND, PARTIAL)}
    assert ages == {STALE: 48.0, SAME_AGE_FRESH: 48.0, ONE_DAY_BEHIND: 24.0, PARTIAL: 24.0}
    up_to_date = set(found) - set(ages)
    assert up_to_date and all(found[key]["age_hours"] == 0.0 for key in up_to_date)
    _check_context_columns(found, ran, complete)


def test_only_the_account_past_its_platform_limit_is_stale(built):
    _, found, _ = built["later"]
    stale = {key: (r["age_hours"], r["max_age_hours"]) for key, r in found.items() if r["is_stale"]}
    assert stale == {STALE: (48.0, 24)}


def test_a_partial_day_is_not_complete_and_names_the_lagging_entity(built):
    """Its posts of LAST_DAY are in, its daily insights are not: the day is not complete."""
    _, found, _ = built["later"]
    row = found[PARTIAL]
    assert (row["newest_loaded_ds"], row["data_as_of"]) == (LAST_DAY, LAST_DAY - timedelta(days=1))
    assert row["lagging_entities"] == "page_insights"
    assert row["newest_report_date"] == LAST_DAY - timedelta(days=1)  # the daily series comes from page_insights
    assert (row["age_hours"], row["is_stale"]) == (24.0, False)


def test_without_as_of_and_on_a_rebuild_the_rows_are_the_same(built):
    _, found, _ = built["later"]
    assert built["without_as_of"] == found
    assert built["rebuilt"] == found
