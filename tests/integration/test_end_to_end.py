"""End to end through Airflow: sandbox -> extract DAG -> build DAG -> serving warehouse.

Runs the real DAGs with `airflow dags test` against a sandbox child process over HTTP,
then reconciles the published marts with the sandbox's ground truth, exactly.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest

from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.landing import Partition, write_partition
from socialpulse.runner import PipelineFailed, dag_test, pipeline_env, run_pipeline, sandbox_server
from socialpulse.settings import Settings

pytestmark = pytest.mark.integration

DS = date(2026, 11, 19)
DAYS = 7
SEED = 42


@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    import os

    home = tmp_path_factory.mktemp("e2e") / "data"
    old = {k: os.environ.get(k) for k in ("SOCIALPULSE_HOME", "SOCIALPULSE_PSEUDONYM_KEY")}
    os.environ["SOCIALPULSE_HOME"] = str(home)
    os.environ["SOCIALPULSE_PSEUDONYM_KEY"] = "e2e-pseudonym-key"
    settings = Settings.from_env()
    try:
        with sandbox_server(DS + timedelta(days=1), seed=SEED) as url:
            run_pipeline(settings, DS, days=DAYS, platforms=["facebook"], sandbox_url=url, log=lambda *_: None)
            first = snapshot(settings.serving_db)
            # the same day again: nothing may change but lineage
            run_pipeline(settings, DS, days=DAYS, platforms=["facebook"], sandbox_url=url, log=lambda *_: None)
            second = snapshot(settings.serving_db)
            yield {"settings": settings, "url": url, "first": first, "second": second}
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def snapshot(serving_db) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "and table_name <> '_published' order by 1"
            ).fetchall()
        ]
        return {t: sorted(con.execute(f"select * from marts.{t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def query(settings, sql, params=None):
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def expected():
    return truth(seed=SEED, today=DS + timedelta(days=1), start=DS - timedelta(days=DAYS - 1), end=DS)


def test_every_configured_page_is_in_the_serving_marts(e2e):
    settings = e2e["settings"]
    pages = {f"facebook:{a.account_id}" for a in load_accounts(settings.config_file).for_platform("facebook")}
    for table in ("fct_account_daily", "fct_post_engagement", "dim_accounts"):
        found = {r[0] for r in query(settings, f"select distinct account_id from marts.{table}")}
        assert found == pages, table
    days = query(settings, "select count(distinct report_date) from marts.fct_account_daily")[0][0]
    assert days == DAYS


def test_account_daily_equals_the_sandbox_truth(e2e, expected):
    got = {
        (r[0], r[1]): r[2:]
        for r in query(
            e2e["settings"],
            """
            select account_id, report_date, followers, follows, unfollows, views, views_paid, reach,
                   post_engagements, page_views, posts_published
            from marts.fct_account_daily""",
        )
    }
    want = {
        (f"facebook:{d['account_id']}", date.fromisoformat(d["date"])): (
            d["followers"],
            d["follows"],
            d["unfollows"],
            d["views"],
            d["views_paid"],
            d["viewers"],
            d["post_engagements"],
            d["page_views"],
            d["posts_published"],
        )
        for d in expected["account_daily"]
        if d["platform"] == "facebook"
    }
    assert got == want


def test_post_engagement_equals_the_sandbox_truth_as_of_the_snapshot(e2e, expected):
    got = {
        r[0]: r[1:]
        for r in query(
            e2e["settings"],
            """
            select post_id, snapshot_date, views, reach, reactions, comments, shares, clicks, engagements
            from marts.fct_post_engagement""",
        )
    }
    metrics = {(m["post_id"], m["as_of"]): m for m in expected["post_metrics"]}
    want = {}
    for p in expected["posts"]:
        if p["platform"] != "facebook":
            continue
        m = metrics[(p["post_id"], DS.isoformat())]
        want[f"facebook:{p['post_id']}"] = (
            DS,
            m["views"],
            m["viewers"],
            m["reactions_total"],
            m["comments"],
            m["shares"],
            m["clicks"],
            m["engagements"],
        )
    assert got == want
    assert len(got) > 10


def test_rerunning_the_same_day_changes_nothing(e2e):
    assert {t: len(r) for t, r in e2e["first"].items()} == {t: len(r) for t, r in e2e["second"].items()}
    assert e2e["first"] == e2e["second"]


def test_a_failed_audit_publishes_nothing(e2e):
    """A corrupted partition stops the build before publish; yesterday's warehouse stays."""
    settings = e2e["settings"]
    before = query(settings, "select run_id, published_at from marts._published")
    bad_day = DS + timedelta(days=1)
    rows = [
        {
            "page_id": "112233445566001",
            "metric": "page_follows",
            "period": "day",
            "end_time": __import__("datetime").datetime(2026, 11, 21, 8, tzinfo=__import__("datetime").UTC),
            "breakdown": "",
            "breakdown_value": "",
            "value": -5,
        }
    ]
    part = Partition("facebook", "page_insights", bad_day, "region_main")
    path = write_partition(settings.landing_dir, part, rows, run_id="corrupt", extracted_at=rows[0]["end_time"])
    env = pipeline_env(settings, e2e["url"])
    try:
        with pytest.raises(PipelineFailed):
            dag_test("socialpulse_build", bad_day, env, settings)
        assert query(settings, "select run_id, published_at from marts._published") == before
        log = (settings.home / "airflow" / "runs" / f"socialpulse_build__{bad_day}.log").read_text()
        assert "raw.facebook__page_insights" in log and "value" in log
    finally:
        path.unlink()
