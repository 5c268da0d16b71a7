"""The production stack, natively, end to end (`make stack-test`).

What docker-compose.yml starts, as local processes (stack/native.py): PostgreSQL,
the init script, api-server, scheduler, dag-processor and triggerer (LocalExecutor),
and the sandbox. Everything goes through Airflow's REST API v2 with a JWT: unpause,
trigger the six extract DAGs, let the scheduler run the Asset-triggered build DAG,
then a two-day backfill of the Facebook extract DAG. The published warehouse is reconciled
with the sandbox truth after each phase. A failed run prints its failed tasks' logs.

The run's SOCIALPULSE_HOME is $SOCIALPULSE_HOME/stack-test (kept afterwards: the BI
check of `make stack-test` reads its published warehouse).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from sandbox.truth import truth
from socialpulse.settings import Settings
from stack.native import AirflowAPI, NativeStack, StackError
from tests.integration._reconcile import (
    assert_account_daily_equals_truth,
    assert_post_engagement_equals_truth,
    rows,
)

pytestmark = [pytest.mark.integration, pytest.mark.stack]

PLATFORMS = ("facebook", "instagram", "linkedin", "x", "bluesky", "mastodon")
EXTRACT = [f"socialpulse_extract_{p}" for p in PLATFORMS]
BUILD = "socialpulse_build"
DAYS = 3  # the first runs read 3 days ending on the run date
BACKFILL_DAYS = 2  # then the two days before them, by backfill
BACKFILLED = "socialpulse_extract_facebook"  # one DAG is enough to prove it: each build costs minutes
SEED = 42
TERMINAL = {"success", "failed"}


def stack_today() -> date:
    """Today (UTC), the sandbox's and the scheduler's. Close to midnight, wait for the next
    day, so that the scheduler's own daily runs cannot start mid-test for a day the
    sandbox does not have yet."""
    now = datetime.now(UTC)
    to_midnight = (datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC) - now).total_seconds()
    if to_midnight < 15 * 60:
        print(f"waiting {to_midnight + 60:.0f} s for midnight UTC")
        time.sleep(to_midnight + 60)
    return datetime.now(UTC).date()


def wait_for(what: str, predicate, stack: NativeStack, timeout: float, every: float = 3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        result = predicate()
        if result:
            return result
        time.sleep(every)
    raise StackError(f"timed out after {timeout:.0f} s waiting for {what}\nscheduler:\n{stack.tail('scheduler')}")


def wait_runs(api: AirflowAPI, stack: NativeStack, runs: dict[str, list[str]], timeout: float) -> None:
    """Every listed run succeeds; a failed one fails the test with its tasks' logs."""

    def states():
        got = {(d, r["dag_run_id"]): r["state"] for d in runs for r in api.runs(d) if r["dag_run_id"] in runs[d]}
        return got if len(got) == sum(map(len, runs.values())) and set(got.values()) <= TERMINAL else None

    final = wait_for(f"runs {runs}", states, stack, timeout)
    failed = [key for key, state in final.items() if state != "success"]
    if failed:
        pytest.fail("\n".join(api.failure_logs(d, r) for d, r in failed))


def wait_builds(api: AirflowAPI, stack: NativeStack, seen: set[str], timeout: float) -> list[dict]:
    """The build runs the landing Assets trigger (the scheduler may batch several events
    into one run), until no event is queued and no build is active; all must succeed."""

    def settled():
        runs = api.runs(BUILD)
        new = [r for r in runs if r["dag_run_id"] not in seen]
        if new and all(r["state"] in TERMINAL for r in runs) and api.queued_asset_events(BUILD) == 0:
            return new
        return None

    new = wait_for("the Asset-triggered build", settled, stack, timeout, every=5)
    for r in new:
        assert r["run_type"] == "asset_triggered", r
        if r["state"] != "success":
            pytest.fail(api.failure_logs(BUILD, r["dag_run_id"]))
    return new


@pytest.fixture(scope="module")
def stack_run():
    base = Path(os.environ.get("SOCIALPULSE_HOME") or Settings.from_env().home)
    home = base / "stack-test"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    today = stack_today()
    ds = today - timedelta(days=1)
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    with NativeStack.up(home, today, seed=SEED) as stack:
        timings["stack up"] = time.monotonic() - t0
        api = stack.api()
        wait_for("the DAGs to be parsed", lambda: {*EXTRACT, BUILD} <= api.dag_ids(), stack, 180)
        assert api.health()["scheduler"]["status"] == "healthy"

        # phase 1: the build listens first; the extract runs are triggered, then unpaused
        t = time.monotonic()
        api.set_paused(BUILD, False)
        runs = {d: [api.trigger(d, ds, {"days": DAYS})] for d in EXTRACT}
        for d in EXTRACT:
            api.set_paused(d, False)
        wait_runs(api, stack, runs, timeout=900)
        builds = wait_builds(api, stack, set(), timeout=1200)
        timings["extract + build"] = time.monotonic() - t
        phase1 = home / "phase1_warehouse.duckdb"
        shutil.copyfile(home / "warehouse.duckdb", phase1)

        # phase 2: a two-day backfill of one extract DAG, through the API; both days run at
        # once, so that their Asset events usually make one build
        t = time.monotonic()
        first = ds - timedelta(days=DAYS + BACKFILL_DAYS - 1)
        last = ds - timedelta(days=DAYS)
        api.backfill(BACKFILLED, first, last, {"days": 1}, max_active_runs=BACKFILL_DAYS)

        def backfill_runs():
            found = [r["dag_run_id"] for r in api.runs(BACKFILLED) if r["run_type"] == "backfill"]
            return {BACKFILLED: found} if len(found) == BACKFILL_DAYS else None

        backfill = wait_for("the backfill runs", backfill_runs, stack, 120)
        wait_runs(api, stack, backfill, timeout=900)
        backfill_builds = wait_builds(api, stack, {r["dag_run_id"] for r in builds}, timeout=1200)
        timings["backfill + build"] = time.monotonic() - t
        extract_runs = {d: api.runs(d) for d in EXTRACT}
    print("timings (s):", {k: round(v, 1) for k, v in timings.items()}, "builds:", len(builds), len(backfill_builds))
    yield {
        "home": home,
        "ds": ds,
        "first": first,
        "phase1": phase1,
        "serving": home / "warehouse.duckdb",
        "builds": builds,
        "backfill_builds": backfill_builds,
        "extract_runs": extract_runs,
    }


@pytest.fixture(scope="module")
def truth_phase1(stack_run):
    ds = stack_run["ds"]
    return truth(seed=SEED, today=ds + timedelta(days=1), start=ds - timedelta(days=DAYS - 1), end=ds)


def test_the_extract_runs_were_triggered_through_the_api_and_the_build_by_the_assets(stack_run):
    ds = stack_run["ds"]
    for dag_id, runs in stack_run["extract_runs"].items():
        backfilled = BACKFILL_DAYS if dag_id == BACKFILLED else 0
        assert sorted(r["run_type"] for r in runs) == ["backfill"] * backfilled + ["manual"], dag_id
        assert all(r["state"] == "success" for r in runs), dag_id
        manual = next(r for r in runs if r["run_type"] == "manual")
        # the day's run, exactly as the scheduler would have made it
        assert manual["logical_date"].startswith(str(ds)), manual
        assert manual["data_interval_end"].startswith(str(ds + timedelta(days=1))), manual
    assert stack_run["builds"] and stack_run["backfill_builds"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_published_warehouse_equals_the_sandbox_truth(stack_run, truth_phase1, platform):
    assert_account_daily_equals_truth(stack_run["phase1"], truth_phase1, platform, stack_run["ds"])
    assert_post_engagement_equals_truth(stack_run["phase1"], truth_phase1, platform, stack_run["ds"], min_posts=1)


def test_the_backfill_adds_its_two_days_exactly(stack_run):
    """Facebook's account-days now start two days earlier, equal to truth, and its posts of
    those days are in the marts; the other platforms are as before."""
    ds, first = stack_run["ds"], stack_run["first"]
    expected = truth(seed=SEED, today=ds + timedelta(days=1), start=first, end=ds, platform="facebook")
    assert_account_daily_equals_truth(stack_run["serving"], expected, "facebook", ds)
    want = {f"facebook:{p['post_id']}" for p in expected["posts"]}
    sql = "select post_id from marts.fct_post_engagement where platform = 'facebook'"
    assert {r["post_id"] for r in rows(stack_run["serving"], sql)} == want
    for table in ("fct_account_daily", "fct_post_engagement"):
        sql = f"select * from marts.{table} where platform <> 'facebook' order by all"
        assert rows(stack_run["phase1"], sql) == rows(stack_run["serving"], sql), table


def test_the_backfill_published_a_new_serving_database(stack_run):
    def published(path):
        con = duckdb.connect(str(path), read_only=True)
        try:
            return con.execute("select run_id from marts._published").fetchall()
        finally:
            con.close()

    assert published(stack_run["phase1"]) != published(stack_run["serving"])
    assert published(stack_run["serving"])[0][0] == stack_run["backfill_builds"][-1]["dag_run_id"]


def test_the_bi_dashboard_reads_the_published_warehouse(stack_run):
    """Superset, natively in its own venv (`make superset-install`): the provisioned
    dashboard's every chart returns rows from the published warehouse through Superset's
    API, and a headless Chromium screenshot is saved under the stack run's home."""
    from socialpulse.runner import free_port
    from socialpulse.settings import REPO_ROOT

    env = {**os.environ, "SOCIALPULSE_HOME": str(stack_run["home"]), "SUPERSET_PORT": str(free_port())}
    proc = subprocess.run(
        ["bash", str(REPO_ROOT / "stack" / "superset" / "run_check.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(proc.stdout[-4000:])
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    screenshot = stack_run["home"] / "screenshots" / "dashboard.png"
    assert screenshot.stat().st_size > 20_000
