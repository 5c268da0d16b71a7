"""End to end through Airflow: sandbox -> six extract DAGs -> build DAG -> serving warehouse.

Runs the real DAGs with `airflow dags test` against a sandbox child process over HTTP,
then reconciles the published marts with the sandbox's ground truth, exactly.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import duckdb
import httpx
import pytest

from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.landing import Partition, write_partition
from socialpulse.runner import PipelineFailed, dag_test, pipeline_env, run_pipeline, sandbox_server
from socialpulse.settings import REPO_ROOT, Settings
from tests.integration._reconcile import (
    DAILY_SERIES,
    assert_account_daily_equals_truth,
    assert_post_engagement_equals_truth,
)

pytestmark = pytest.mark.integration

DS = date(2026, 11, 19)
PLATFORMS = ("facebook", "instagram", "linkedin", "x", "bluesky", "mastodon")
DAYS = 7
SEED = 42


# The rerun meets, on every platform, a 429 storm with the platform's own headers, server
# errors, a connection dropped mid-body, a page of malformed JSON and an item repeated on
# the next page: what the connectors retry or deduplicate (sandbox/README.md, "The fault
# campaign"). The warehouse must come out equal to the fault-free first run.
TRANSIENT_FAULTS = [
    {"platform": p, "kind": kind, **options}
    for p in PLATFORMS
    for kind, options in (
        ("http_429", {"count": 3, "seconds": 1}),
        ("http_5xx", {"count": 2, "rate": 0.5}),
        ("drop_connection", {"count": 1, "skip": 3}),
        ("malformed_json", {"count": 1, "skip": 6}),
        ("duplicate_items", {}),
    )
]


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
            run_pipeline(settings, DS, days=DAYS, platforms=list(PLATFORMS), sandbox_url=url, log=lambda *_: None)
            first = snapshot(settings.serving_db)
            # the same day again, now through transient faults: nothing may change but lineage
            httpx.post(f"{url}/__sandbox__/faults", json={"rules": TRANSIENT_FAULTS}, timeout=5).raise_for_status()
            run_pipeline(settings, DS, days=DAYS, platforms=list(PLATFORMS), sandbox_url=url, log=lambda *_: None)
            faults = httpx.get(f"{url}/__sandbox__/faults", timeout=5).json()
            httpx.delete(f"{url}/__sandbox__/faults", timeout=5).raise_for_status()
            second = snapshot(settings.serving_db)
            yield {"settings": settings, "url": url, "first": first, "second": second, "faults": faults}
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# Wall-clock lineage in the marts (when the loader wrote the files, when dbt labelled a
# comment): a rerun reloads the re-extracted files, so these change, and only these.
# A rerun calls the APIs again: the token-health mart's last successful call moves on.
LINEAGE = {
    "bdg_comment_topics": "labelled_at",
    "fct_comments": "loaded_at, labelled_at",
    "rpt_data_freshness": "last_loaded_at",
    "rpt_token_health": "last_successful_call_at, auth_failed_at",
}


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
        columns = {t: f"* exclude ({LINEAGE[t]})" if t in LINEAGE else "*" for t in tables}
        return {t: sorted(con.execute(f"select {columns[t]} from marts.{t}").fetchall(), key=repr) for t in tables}
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


def test_every_configured_account_of_every_platform_is_in_the_serving_marts(e2e):
    settings = e2e["settings"]
    cfg = load_accounts(settings.config_file)
    accounts = {f"{p}:{a.account_id}" for p in PLATFORMS for a in cfg.for_platform(p)}
    assert {a.split(":")[0] for a in accounts} == set(PLATFORMS)
    for table in ("fct_account_daily", "fct_post_engagement", "dim_accounts"):
        found = {r[0] for r in query(settings, f"select distinct account_id from marts.{table}")}
        assert found == accounts, table
    days = dict(query(settings, "select platform, count(distinct report_date) from marts.fct_account_daily group by 1"))
    assert days == {p: DAYS if p in DAILY_SERIES else 1 for p in PLATFORMS}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_account_daily_equals_the_sandbox_truth(e2e, expected, platform):
    assert_account_daily_equals_truth(e2e["settings"].serving_db, expected, platform, DS)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_post_engagement_equals_the_sandbox_truth_as_of_the_snapshot(e2e, expected, platform):
    assert_post_engagement_equals_truth(e2e["settings"].serving_db, expected, platform, DS)


def test_rerunning_the_same_day_through_transient_faults_changes_nothing(e2e):
    assert {t: len(r) for t, r in e2e["first"].items()} == {t: len(r) for t, r in e2e["second"].items()}
    assert e2e["first"] == e2e["second"]


def test_the_rerun_met_every_transient_fault_on_every_platform(e2e):
    rules = e2e["faults"]["rules"]
    for rule in rules:
        if rule["count"] is not None:
            assert rule["served"] == rule["count"], rule
    repeated = {r["platform"]: r["applied"] for r in rules if r["kind"] == "duplicate_items"}
    assert sum(repeated.values()) > 0, f"no listing of several pages had an item repeated: {repeated}"


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


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        (
            {"kind": "revoked_token"},
            "generate a new long-lived Page token and update the Airflow Connection or environment variable",
        ),
        (
            {"kind": "remove_field", "field": "created_time", "path": "/posts"},
            "lacks the field 'created_time' the connector needs (schema drift",
        ),
    ],
    ids=["revoked_token", "removed_field"],
)
def test_a_permanent_fault_fails_the_extract_saying_what_to_do_and_lands_and_publishes_nothing(e2e, fault, says):
    settings = e2e["settings"]
    day = DS + timedelta(days=2)
    published = query(settings, "select run_id, published_at from marts._published")
    landing = sorted(p.relative_to(settings.landing_dir) for p in settings.landing_dir.rglob("*") if p.is_file())
    url = e2e["url"]
    httpx.post(f"{url}/__sandbox__/faults", json={"rules": [{"platform": "facebook", **fault}]}, timeout=5)
    try:
        with pytest.raises(PipelineFailed):
            dag_test("socialpulse_extract_facebook", day, pipeline_env(settings, url), settings)
    finally:
        httpx.delete(f"{url}/__sandbox__/faults", timeout=5).raise_for_status()
    log = (settings.home / "airflow" / "runs" / f"socialpulse_extract_facebook__{day}.log").read_text()
    assert says in log
    assert "up_for_retry" not in log.lower(), "a permanent fault is not retried"
    after = sorted(p.relative_to(settings.landing_dir) for p in settings.landing_dir.rglob("*") if p.is_file())
    assert after == landing, "nothing landed, not even for the accounts before the failing one"
    assert query(settings, "select run_id, published_at from marts._published") == published


def readme_queries() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("### The analysts' questions")
    section = readme[start : readme.index("\n## ", start)]
    return re.findall(r"```sql\n(.*?)```", section, re.S)


def test_the_readme_answers_each_analyst_question_with_one_query_on_the_serving_db(e2e):
    queries = readme_queries()
    assert len(queries) >= 7
    answered = [q for q in queries if query(e2e["settings"], q)]
    # every query runs; all but the 90-day best-format ranking (too few posts in a week) answer
    assert len(answered) >= len(queries) - 1
