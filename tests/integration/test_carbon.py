"""Carbon marts against the sandbox's truth and the seed of factors, on real DuckDB files.

Three daily extract runs of every configured account (each against a private in-thread
sandbox whose "today" is the day after its `_ds`, reading a 3-day window), loaded and
built in two steps: runs 1-2 then a full `dbt build`; run 3 then an incremental build
of the carbon marts with `reprocess_days: 0`, so the first day of their window must
find its previous post snapshot outside the window. The expected gCO2e is recomputed
here from `sandbox.truth` (lifetime views per post and as_of day, account-day views)
and `seeds/carbon_factors.csv`. Post formats are read from `dim_posts` (reconciled by
the intermediate tests): they only choose the seed row.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
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
from tests.conftest import RUN_DS

pytestmark = pytest.mark.integration

DBT = str(Path(sys.executable).parent / "dbt")
PROJECT = REPO_ROOT / "dbt_project"
FACTORS_CSV = PROJECT / "seeds" / "carbon_factors.csv"
SEED = 42
WINDOW_DAYS = 3
RUN_DAYS = tuple(RUN_DS - timedelta(days=n) for n in (2, 1, 0))
PLATFORMS = ("facebook", "instagram", "linkedin", "x", "bluesky", "mastodon")
DAILY_SERIES = {"facebook", "instagram", "linkedin"}  # platforms with daily account views
NO_VIEWS = {"bluesky", "mastodon"}
ORGANIC_ONLY = {"linkedin"}
CASES = ("low", "central", "high")
CARBON = ("carbon_factors", "fct_carbon_post_daily", "fct_carbon_daily")
FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)


# ---------------------------------------------------------------- running dbt


def dbt(settings: Settings, *args: str, project: Path = PROJECT, build_db: Path | None = None):
    env = {**os.environ, **settings.dbt_env()}
    if build_db is not None:
        env["SOCIALPULSE_BUILD_DB"] = str(build_db)
    return subprocess.run(
        [
            DBT,
            *args,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(settings.home / f"dbt_target_{project.parent.name}"),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def dbt_ok(settings: Settings, *args: str, **kwargs) -> None:
    proc = dbt(settings, *args, **kwargs)
    assert proc.returncode == 0 and "ERROR=0" in proc.stdout, proc.stdout[-4000:]


def extract(monkeypatch: pytest.MonkeyPatch, days: tuple[date, ...]) -> Settings:
    """One extract run per day of every configured account, each seeing the world of its day."""
    for ds in days:
        handle = serve_in_thread(port=0, seed=SEED, today=ds + timedelta(days=1), quiet=True)
        try:
            monkeypatch.setenv("SOCIALPULSE_SANDBOX_URL", handle.url)
            settings = Settings.from_env()
            cfg = load_accounts(settings.config_file)
            for account in cfg.accounts:
                extract_account(settings, cfg, account, ds, days=WINDOW_DAYS, run_id=f"carbon-{ds}", policy=FAST)
        finally:
            handle.stop()
    load_landing(settings.build_db, settings.landing_dir)
    return settings


def build_upstream(settings: Settings) -> None:
    """The models the carbon marts read, without their tests (test_dbt_build.py runs those)."""
    dbt_ok(
        settings,
        "build",
        "--select",
        "+fct_carbon_daily",
        "+fct_carbon_post_daily",
        "+dim_accounts",
        "--exclude",
        *CARBON,
        "--exclude-resource-type",
        "test",
        "unit_test",
    )


def rows(db: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def execute(db: Path, sql: str) -> int:
    with duckdb.connect(str(db)) as con:
        return con.execute(sql).fetchone()[0]


@dataclass
class Warehouse:
    settings: Settings
    kept_post_rows: int  # rows outside the incremental window that the build left alone
    kept_account_rows: int

    @property
    def db(self) -> Path:
        return self.settings.build_db


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Warehouse:
    home = tmp_path_factory.mktemp("carbon") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOCIALPULSE_HOME", str(home))
        mp.delenv("SOCIALPULSE_BUILD_DB", raising=False)
        mp.delenv("SOCIALPULSE_SERVING_DB", raising=False)
        mp.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
        for platform in PLATFORMS:
            mp.setenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", "sandbox-token")
        settings = extract(mp, RUN_DAYS[:2])
        build_upstream(settings)
        dbt_ok(settings, "build", "--select", *CARBON)

        settings = extract(mp, RUN_DAYS[2:])
        build_upstream(settings)
        # mark the rows before the window of an incremental build with reprocess_days 0
        # (the window starts at the last day built: RUN_DAYS[1])
        db = settings.build_db
        marked_posts = execute(
            db,
            f"""update marts.fct_carbon_post_daily set days_covered = days_covered + 1000
            where snapshot_date < date '{RUN_DAYS[1]}' and days_covered is not null""",
        )
        marked_accounts = execute(
            db,
            f"""update marts.fct_carbon_daily set views = views + 1000000000
            where report_date < date '{RUN_DAYS[1]}' and views is not null""",
        )
        assert marked_posts > 0 and marked_accounts > 0
        dbt_ok(settings, "build", "--select", *CARBON, "--vars", "{reprocess_days: 0}")
        kept_posts = execute(
            db,
            """update marts.fct_carbon_post_daily set days_covered = days_covered - 1000
            where days_covered >= 1000""",
        )
        kept_accounts = execute(
            db,
            """update marts.fct_carbon_daily set views = views - 1000000000
            where views >= 1000000000""",
        )
        yield Warehouse(settings, kept_posts, kept_accounts)


# ------------------------------------------------------- the expected values


def load_factors(path: Path = FACTORS_CSV) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        factors = list(csv.DictReader(f))
    for row in factors:
        for case in CASES:
            row[f"value_{case}"] = float(row[f"value_{case}"])
        row["is_proxy"] = row["is_proxy"] == "true"
    return factors


def resolve(factors: list[dict], platform: str, fmt: str) -> dict[str, dict]:
    """The seed row of each parameter for (platform, format): a platform's or format's own row over `all`."""
    best: dict[str, tuple[tuple[bool, bool], dict]] = {}
    for row in factors:
        if row["platform"] in (platform, "all") and row["format"] in (fmt, "all"):
            rank = (row["platform"] == "all", row["format"] == "all")
            if row["parameter"] not in best or rank < best[row["parameter"]][0]:
                best[row["parameter"]] = (rank, row)
    return {parameter: row for parameter, (_, row) in best.items()}


def gco2e(views: int, seconds: float, feed: float, grid: float) -> float:
    return float(views) * seconds / 60.0 * feed * grid


def views_measure(platform: str, values: dict) -> int | None:
    """The views the warehouse keeps: total, organic where the platform serves organic only, or none."""
    if platform in NO_VIEWS:
        return None
    if platform in ORGANIC_ONLY:
        return values["views"] - values["views_paid"]
    return values["views"]


def truths() -> dict[tuple[str, date], dict]:
    """The truth each extract run saw, per (platform, run day)."""
    return {
        (platform, ds): truth(
            seed=SEED,
            today=ds + timedelta(days=1),
            start=ds - timedelta(days=WINDOW_DAYS - 1),
            end=ds,
            platform=platform,
        )
        for platform in PLATFORMS
        for ds in RUN_DAYS
    }


def null_reason(platform: str, views: int | None, factors: dict[str, dict]) -> str | None:
    if views is None:
        return "platform_serves_no_views" if platform in NO_VIEWS else "no_views_read"
    if len(factors) < 3:
        return "no_factor"
    return None


def expected_posts(world: dict, formats: dict[str, str], factors: list[dict]) -> dict[tuple[str, date], dict]:
    """One row per post and run day that read it: new views, view time, gCO2e."""
    lifetime: dict[str, dict[date, int | None]] = defaultdict(dict)
    posts: dict[str, dict] = {}
    for (platform, ds), t in world.items():
        metrics = {m["post_id"]: m for m in t["post_metrics"] if m["as_of"] == ds.isoformat()}
        for p in t["posts"]:
            post_id = f"{platform}:{p['post_id']}"
            posts[post_id] = {**p, "platform": platform}
            lifetime[post_id][ds] = views_measure(platform, metrics[p["post_id"]])
    expected = {}
    for post_id, by_day in lifetime.items():
        p = posts[post_id]
        platform = p["platform"]
        fmt = formats[post_id]
        used = resolve(factors, platform, fmt)
        previous_day, previous_views = None, None
        for ds in sorted(by_day):
            life = by_day[ds]
            row = {
                "account_id": f"{platform}:{p['account_id']}",
                "platform": platform,
                "format": fmt,
                "lifetime_views": life,
                "previous_snapshot_date": None,
                "days_covered": None,
                "views": None,
                "is_organic_only": life is not None and platform in ORGANIC_ONLY,
                "feed_factor_id": used["feed_gco2e_per_minute"]["factor_id"],
                "view_time_factor_id": used["seconds_viewed_per_view"]["factor_id"],
                "grid_factor_id": used["grid_adjustment"]["factor_id"],
            }
            if life is not None:
                published = date.fromisoformat(p["created_at"][:10])
                row["previous_snapshot_date"] = previous_day
                row["days_covered"] = (ds - (previous_day or published - timedelta(days=1))).days
                row["views"] = max(life - (previous_views or 0), 0)
                previous_day, previous_views = ds, life
            row["null_reason"] = null_reason(platform, row["views"], used)
            for case in CASES:
                seconds = used["seconds_viewed_per_view"][f"value_{case}"]
                row[f"seconds_viewed_{case}"] = seconds
                row[f"gco2e_{case}"] = (
                    None
                    if row["null_reason"]
                    else gco2e(
                        row["views"],
                        seconds,
                        used["feed_gco2e_per_minute"][f"value_{case}"],
                        used["grid_adjustment"][f"value_{case}"],
                    )
                )
            row["is_proxy_factor"] = row["null_reason"] is None and any(f["is_proxy"] for f in used.values())
            expected[(post_id, ds)] = row
    return expected


def expected_accounts(world: dict, posts: dict, factors: list[dict]) -> dict[tuple[str, date], dict]:
    """One row per account-day: its own views where it has a daily series, else its posts' new views."""
    account_views: dict[tuple[str, date], int | None] = {}
    platform_of: dict[str, str] = {}
    for (platform, ds), t in world.items():
        for d in t["account_daily"]:
            account_id = f"{platform}:{d['account_id']}"
            platform_of[account_id] = platform
            day = date.fromisoformat(d["date"])
            if platform in DAILY_SERIES:
                account_views[(account_id, day)] = views_measure(platform, d)
            elif day == ds:  # no daily series: one follower snapshot per extraction day
                account_views[(account_id, day)] = None
    posts_by_day: dict[tuple[str, date], list[dict]] = defaultdict(list)
    for (_, ds), row in posts.items():
        posts_by_day[(row["account_id"], ds)].append(row)
        platform_of[row["account_id"]] = row["platform"]

    expected = {}
    for key in set(account_views) | set(posts_by_day):
        account_id, _ = key
        platform = platform_of[account_id]
        own = account_views.get(key)
        with_views = [r for r in posts_by_day.get(key, []) if r["views"] is not None]
        post_views = sum(r["views"] for r in with_views) if with_views else None
        weighed = [r for r in with_views if r["null_reason"] is None]
        weight = sum(r["views"] for r in weighed)
        used = resolve(factors, platform, "other")
        views = own if own is not None else post_views
        row = {
            "platform": platform,
            "views": views,
            "is_from_post_views": own is None and post_views is not None,
            "post_views": post_views,
            "is_organic_only": (
                platform in ORGANIC_ONLY if own is not None else any(r["is_organic_only"] for r in with_views)
            ),
            "feed_factor_id": used["feed_gco2e_per_minute"]["factor_id"],
            "grid_factor_id": used["grid_adjustment"]["factor_id"],
        }
        if weight > 0:
            for case in CASES:
                row[f"seconds_viewed_{case}"] = sum(r["views"] * r[f"seconds_viewed_{case}"] for r in weighed) / weight
            row["view_time_factor_ids"] = ",".join(
                sorted({r["view_time_factor_id"] for r in weighed if r["views"] > 0})
            )
            proxy_view_time = any(r["is_proxy_factor"] for r in weighed if r["views"] > 0)
        else:
            for case in CASES:
                row[f"seconds_viewed_{case}"] = used["seconds_viewed_per_view"][f"value_{case}"]
            row["view_time_factor_ids"] = used["seconds_viewed_per_view"]["factor_id"]
            proxy_view_time = False
        row["null_reason"] = null_reason(platform, views, used)
        for case in CASES:
            row[f"gco2e_{case}"] = (
                None
                if row["null_reason"]
                else gco2e(
                    views,
                    row[f"seconds_viewed_{case}"],
                    used["feed_gco2e_per_minute"][f"value_{case}"],
                    used["grid_adjustment"][f"value_{case}"],
                )
            )
        row["is_proxy_factor"] = row["null_reason"] is None and (
            any(f["is_proxy"] for f in used.values()) or proxy_view_time
        )
        expected[key] = row
    return expected


def same(got, want) -> bool:
    if isinstance(want, float) and got is not None:
        return got == pytest.approx(want, rel=1e-9, abs=1e-12)
    return got == want


def assert_rows_match(got: dict, want: dict, what: str) -> None:
    assert set(got) == set(want), f"{what}: keys differ: {sorted(set(got) ^ set(want))[:5]}"
    for key, expected in want.items():
        diffs = {c: (got[key][c], v) for c, v in expected.items() if not same(got[key][c], v)}
        assert not diffs, f"{what} {key}: (got, want) {diffs}"


def formats(db: Path) -> dict[str, str]:
    return {r["post_id"]: r["format"] for r in rows(db, "select post_id, format from marts.dim_posts")}


def post_marts(db: Path) -> dict[tuple[str, date], dict]:
    return {(r["post_id"], r["snapshot_date"]): r for r in rows(db, "select * from marts.fct_carbon_post_daily")}


def account_marts(db: Path) -> dict[tuple[str, date], dict]:
    return {(r["account_id"], r["report_date"]): r for r in rows(db, "select * from marts.fct_carbon_daily")}


# ----------------------------------------------------------------------- tests


def test_post_carbon_reconciles_with_truth_and_seed(warehouse):
    want = expected_posts(truths(), formats(warehouse.db), load_factors())
    got = post_marts(warehouse.db)
    assert_rows_match(got, want, "fct_carbon_post_daily")
    # the window is real: most snapshots follow a previous one, some posts are first read days late
    assert sum(r["previous_snapshot_date"] is not None for r in got.values()) > 50
    assert any((r["days_covered"] or 0) > 1 for r in got.values())
    estimated = {r["platform"] for r in got.values() if r["gco2e_central"] is not None}
    assert estimated == {"facebook", "instagram", "linkedin", "x"}


def test_account_carbon_reconciles_with_truth_and_seed(warehouse):
    world, factors = truths(), load_factors()
    posts = expected_posts(world, formats(warehouse.db), factors)
    want = expected_accounts(world, posts, factors)
    got = account_marts(warehouse.db)
    assert_rows_match(got, want, "fct_carbon_daily")
    # every path is exercised: own views with a format mix, own views without one, post views
    assert any("," in (r["view_time_factor_ids"] or "") and not r["is_from_post_views"] for r in got.values())
    assert any(r["view_time_factor_ids"].endswith(":other") and r["views"] for r in got.values())
    assert any(r["is_from_post_views"] for r in got.values())


def test_ranges_flags_and_nulls(warehouse):
    factor_ids = {f["factor_id"] for f in load_factors()}
    posts, accounts = post_marts(warehouse.db), account_marts(warehouse.db)
    for mart in (posts, accounts):
        assert len({r["factors_version"] for r in mart.values()}) == 1
        for r in mart.values():
            if r["platform"] in NO_VIEWS:
                # no views at all: NULL with its reason, never 0
                assert (r["views"], r["gco2e_low"], r["gco2e_central"], r["gco2e_high"]) == (None,) * 4, r
                assert r["null_reason"] == "platform_serves_no_views" and not r["is_proxy_factor"], r
            else:
                assert r["null_reason"] is None, r
                assert 0 <= r["gco2e_low"] <= r["gco2e_central"] <= r["gco2e_high"], r
                assert r["seconds_viewed_low"] <= r["seconds_viewed_central"] <= r["seconds_viewed_high"], r
                assert r["is_organic_only"] == (r["platform"] in ORGANIC_ONLY), r
            assert {r["feed_factor_id"], r["grid_factor_id"]} <= factor_ids
            assert set((r.get("view_time_factor_id") or r.get("view_time_factor_ids")).split(",")) <= factor_ids
    for r in accounts.values():
        assert r["is_from_post_views"] == (r["platform"] == "x"), r
    # Bluesky's and Mastodon's proxy factor is named, ready for the day they serve views
    assert {r["feed_factor_id"] for r in posts.values() if r["platform"] in NO_VIEWS} == {
        "feed_gco2e_per_minute:bluesky:all",
        "feed_gco2e_per_minute:mastodon:all",
    }


def test_incremental_build_left_the_days_before_its_window_alone(warehouse):
    """reprocess_days 0 rebuilt only the last day built and the new one; marked older rows survived."""
    assert warehouse.kept_post_rows > 0
    assert warehouse.kept_account_rows > 0


def copy_project(tmp_path: Path, edit) -> Path:
    """A copy of the dbt project whose carbon_factors.csv is `edit(factors rows)`."""
    project = tmp_path / "project" / "dbt_project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"))
    with FACTORS_CSV.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fieldnames, factors = reader.fieldnames, list(reader)
    with (project / "seeds" / "carbon_factors.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(edit(factors))
    return project


def test_a_seed_edit_restates_every_row_proportionally(warehouse, tmp_path):
    def double_facebook_feed(factors):
        for row in factors:
            if row["factor_id"] == "feed_gco2e_per_minute:facebook:all":
                for case in CASES:
                    row[f"value_{case}"] = repr(2 * float(row[f"value_{case}"]))
        return factors

    project = copy_project(tmp_path, double_facebook_feed)
    db = tmp_path / "build.duckdb"
    shutil.copy(warehouse.db, db)
    # an ordinary incremental build: the window is only the last day, yet every row changes
    dbt_ok(
        warehouse.settings, "build", "--select", *CARBON, "--vars", "{reprocess_days: 0}", project=project, build_db=db
    )

    for before, after in ((post_marts(warehouse.db), post_marts(db)), (account_marts(warehouse.db), account_marts(db))):
        assert set(before) == set(after)
        versions = {r["factors_version"] for r in after.values()}
        assert len(versions) == 1 and versions != {r["factors_version"] for r in before.values()}
        for key, old in before.items():
            new = after[key]
            factor = 2.0 if old["platform"] == "facebook" else 1.0
            for case in CASES:
                column = f"gco2e_{case}"
                assert same(new[column], None if old[column] is None else old[column] * factor), (key, column)
            unchanged = [c for c in old if not c.startswith("gco2e_") and c != "factors_version"]
            assert all(same(new[c], old[c]) for c in unchanged), (key, {c: (new[c], old[c]) for c in unchanged})
    facebook_days = {d for (_, d), r in account_marts(db).items() if r["platform"] == "facebook"}
    assert min(facebook_days) < RUN_DAYS[2]  # rows outside the reprocess window were restated


def test_the_seed_tests_refuse_unordered_or_missing_factors(warehouse, tmp_path):
    def break_factors(factors):
        for row in factors:
            if row["factor_id"] == "feed_gco2e_per_minute:facebook:all":
                row["value_low"] = "0.9"  # above its central 0.79
        return [row for row in factors if row["factor_id"] != "seconds_viewed_per_view:all:reel"]

    project = copy_project(tmp_path, break_factors)
    db = tmp_path / "build.duckdb"
    shutil.copy(warehouse.db, db)
    proc = dbt(warehouse.settings, "build", "--select", "carbon_factors", project=project, build_db=db)
    assert proc.returncode != 0
    failed = [line for line in proc.stdout.splitlines() if "FAIL" in line]
    assert any("carbon_values_ordered" in line for line in failed), proc.stdout[-3000:]
    assert any("carbon_factors_complete" in line for line in failed), proc.stdout[-3000:]
