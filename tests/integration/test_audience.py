"""The audience marts against the sandbox's truth: "do we reach young people?"

Four daily extract runs of the Instagram accounts (2026-10-31 .. 2026-11-03, across a
month boundary), each against a private in-thread sandbox whose "today" is the day
after its `_ds` (demographics are read as of the run's day, like the real API), into a
temporary SOCIALPULSE_HOME; load; `dbt build` of fct_audience_daily,
rpt_youth_audience_monthly and their parents (with dim_accounts for the relationship
tests). The last day is loaded after a first build and built incrementally with
`reprocess_days: 1`, then everything is rebuilt with `--full-refresh`: same rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from sandbox.server import serve_in_thread
from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.connectors.client import RetryPolicy
from socialpulse.extract import extract_account
from socialpulse.load import load_landing
from socialpulse.settings import REPO_ROOT, Settings
from tests.integration._dbt_harness import rows

pytestmark = pytest.mark.integration

SEED = 42
FIRST_DAYS = (date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2))
LATER_DAY = date(2026, 11, 3)
DAYS = (*FIRST_DAYS, LATER_DAY)
GENDERS = {"F": "female", "M": "male", "U": "unknown"}
YOUTH = ("13-17", "18-24")
GRAIN = ("account_id", "snapshot_date", "audience", "age_bucket", "gender")
DBT = str(Path(sys.executable).parent / "dbt")
SELECT = ("+rpt_youth_audience_monthly", "+dim_accounts")
FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)
YOUTH_QUERY = """
    select account_id, month_start_date, audience, youth_share, has_withheld_buckets
    from marts.rpt_youth_audience_monthly
    order by account_id, month_start_date, audience
"""
"""The one query of the docs block audience_buckets."""


def _extract(patch: pytest.MonkeyPatch, ds: date) -> Settings:
    """One daily run of every Instagram account, against a sandbox whose today is ds + 1; then load."""
    handle = serve_in_thread(port=0, seed=SEED, today=ds + timedelta(days=1), quiet=True)
    try:
        patch.setenv("SOCIALPULSE_SANDBOX_URL", handle.url)
        settings = Settings.from_env()
        cfg = load_accounts(settings.config_file)
        accounts = cfg.for_platform("instagram")
        assert accounts, "no instagram account configured"
        for account in accounts:
            extract_account(settings, cfg, account, ds, days=1, run_id=f"audience-{ds}", policy=FAST)
    finally:
        handle.stop()
    load_landing(settings.build_db, settings.landing_dir, platform="instagram")
    return settings


def _dbt_build(settings: Settings, target: Path, *extra: str) -> None:
    proc = subprocess.run(
        [
            DBT,
            "build",
            "--select",
            *SELECT,
            "--indirect-selection",
            "buildable",
            *extra,
            "--project-dir",
            "dbt_project",
            "--profiles-dir",
            "dbt_project",
            "--target-path",
            str(target),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, **settings.dbt_env()},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "ERROR=0" in proc.stdout


def _read(settings: Settings, sql: str) -> list[dict]:
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        return rows(con, sql)
    finally:
        con.close()


def _fct(settings: Settings) -> list[dict]:
    return _read(settings, f"select * from marts.fct_audience_daily order by {', '.join(GRAIN)}")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Three days built, the fourth built incrementally, then a full refresh: every state's rows."""
    root = tmp_path_factory.mktemp("audience")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOCIALPULSE_HOME", str(root / "data"))
        patch.delenv("SOCIALPULSE_BUILD_DB", raising=False)
        patch.delenv("SOCIALPULSE_SERVING_DB", raising=False)
        patch.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
        patch.setenv("SOCIALPULSE_INSTAGRAM_TOKEN", "sandbox-token")
        target = root / "dbt_target"
        for ds in FIRST_DAYS:
            settings = _extract(patch, ds)
        _dbt_build(settings, target)
        first = _fct(settings)
        settings = _extract(patch, LATER_DAY)
        _dbt_build(settings, target, "--vars", "{reprocess_days: 1}")
        incremental = _fct(settings)
        raw = _read(settings, "select * from raw.instagram__audience_demographics")
        _dbt_build(settings, target, "--full-refresh")
        yield {
            "first": first,
            "incremental": incremental,
            "full": _fct(settings),
            "rpt": _read(settings, "select * from marts.rpt_youth_audience_monthly"),
            "youth_query": _read(settings, YOUTH_QUERY),
            "raw": raw,
        }


@pytest.fixture(scope="module")
def expected() -> dict[tuple, dict]:
    """The truth's age x gender grid, keyed by the mart's grain."""
    audience = truth(seed=SEED, today=LATER_DAY + timedelta(days=1), start=DAYS[0], end=DAYS[-1])["audience"]
    grid = {}
    for t in audience:
        day = date.fromisoformat(t["date"])
        grid[(f"instagram:{t['account_id']}", day, t["audience"], t["age_bucket"], GENDERS[t["gender"]])] = t
    return grid


def _served_total(expected: dict[tuple, dict], account_id: str, day: date, audience: str) -> int:
    """People served (not withheld) in one snapshot of one audience."""
    snapshot = (account_id, day, audience)
    return sum(t["value"] for key, t in expected.items() if key[:3] == snapshot and not t["is_withheld"])


def test_fct_audience_daily_reconciles_with_truth(built, expected):
    mart = {tuple(r[c] for c in GRAIN): r for r in built["incremental"]}
    assert set(mart) == set(expected), "every bucket of every account, day and audience; nothing else"
    assert {d for _, d, _, _, _ in mart} == set(DAYS)
    for key, row in mart.items():
        t = expected[key]
        assert row["platform"] == "instagram"
        assert row["is_youth"] == (t["age_bucket"] in YOUTH)
        assert row["is_withheld"] == t["is_withheld"], key
        if t["is_withheld"]:
            assert (row["audience_count"], row["audience_share"]) == (None, None), key
        else:
            assert row["audience_count"] == t["value"], key
            total = _served_total(expected, *key[:3])
            assert row["audience_share"] == pytest.approx(t["value"] / total, rel=1e-12), key


def test_withheld_buckets_are_null_with_the_flag_never_zero(built, expected):
    mart = built["incremental"]
    withheld = [r for r in mart if r["is_withheld"]]
    assert {r["audience"] for r in withheld} == {"followers", "reach"}, "the window withholds buckets of both audiences"
    assert all(r["audience_count"] is None and r["audience_share"] is None for r in withheld)
    assert all(r["audience_count"] is not None and r["audience_count"] > 0 for r in mart if not r["is_withheld"])
    assert {tuple(r[c] for c in GRAIN) for r in withheld} == {k for k, t in expected.items() if t["is_withheld"]}
    # withheld buckets were not served: nothing landed for them, and the mart did not invent a 0
    landed = {
        (f"instagram:{r['ig_user_id']}", r["_ds"], r["metric"], r["breakdown_value"])
        for r in built["raw"]
        if r["breakdown"] == "age,gender"
    }
    for account_id, day, audience, age, gender in (tuple(r[c] for c in GRAIN) for r in withheld):
        metric = "follower_demographics" if audience == "followers" else "reached_audience_demographics"
        platform_gender = {v: k for k, v in GENDERS.items()}[gender]
        assert (account_id, day, metric, f"{age},{platform_gender}") not in landed
    shares: dict[tuple, float] = {}
    for r in mart:
        if not r["is_withheld"]:
            key = (r["account_id"], r["snapshot_date"], r["audience"])
            shares[key] = shares.get(key, 0.0) + r["audience_share"]
    assert all(s == pytest.approx(1.0) for s in shares.values()), "served shares sum to 1"


def _expected_youth(expected: dict[tuple, dict]) -> dict[tuple, dict]:
    months: dict[tuple, date] = {}
    for account_id, day, audience, _, _ in expected:
        key = (account_id, day.replace(day=1), audience)
        months[key] = max(months.get(key, day), day)
    result = {}
    for (account_id, month, audience), day in months.items():
        buckets = [t for (a, d, aud, _, _), t in expected.items() if (a, d, aud) == (account_id, day, audience)]
        served = [t for t in buckets if not t["is_withheld"]]
        young = [t["value"] for t in served if t["age_bucket"] in YOUTH]
        youth, total = (sum(young) if young else None), sum(t["value"] for t in served)
        result[(account_id, month, audience)] = {
            "snapshot_date": day,
            "youth_count": youth,
            "served_count": total,
            "youth_share": None if youth is None else youth / total,
            "has_withheld_buckets": len(served) < len(buckets),
        }
    return result


def test_youth_share_per_account_and_month_equals_truth(built, expected):
    want = _expected_youth(expected)
    got = {(r["account_id"], r["month_start_date"], r["audience"]): r for r in built["rpt"]}
    assert set(got) == set(want)
    assert {m for _, m, _ in got} == {date(2026, 10, 1), date(2026, 11, 1)}
    for key, w in want.items():
        row = got[key]
        assert row["platform"] == "instagram"
        assert row["snapshot_date"] == w["snapshot_date"], "a month is read on its latest snapshot"
        assert (row["youth_count"], row["served_count"], row["has_withheld_buckets"]) == (
            w["youth_count"],
            w["served_count"],
            w["has_withheld_buckets"],
        ), key
        assert row["youth_share"] == pytest.approx(w["youth_share"], rel=1e-12), key
    # the documented one-query answer gives the same shares
    answer = {(r["account_id"], r["month_start_date"], r["audience"]): r["youth_share"] for r in built["youth_query"]}
    assert answer == {k: r["youth_share"] for k, r in got.items()}
    # the youth account's followers are far younger than the main account's
    nov = {k[0]: r["youth_share"] for k, r in got.items() if k[1:] == (date(2026, 11, 1), "followers")}
    assert nov["instagram:17841400000110002"] > 2 * nov["instagram:17841400000110001"]


def test_incremental_build_equals_the_full_refresh(built):
    assert built["incremental"] == built["full"]
    first_days = [r for r in built["incremental"] if r["snapshot_date"] in FIRST_DAYS]
    assert first_days == built["first"], "the incremental build kept the days outside its window"
    assert {r["snapshot_date"] for r in built["first"]} == set(FIRST_DAYS)
