"""dbt on a small real window: sandbox -> landing -> raw -> `dbt build` (models, tests, unit tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from socialpulse.config import load_accounts
from socialpulse.connectors.client import RetryPolicy
from socialpulse.extract import extract_account
from socialpulse.load import load_landing
from socialpulse.settings import REPO_ROOT, Settings
from tests.conftest import RUN_DS

pytestmark = pytest.mark.integration
DBT = str(Path(sys.executable).parent / "dbt")


def dbt(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    env = {**__import__("os").environ, **settings.dbt_env()}
    return subprocess.run(
        [
            DBT,
            *args,
            "--project-dir",
            "dbt_project",
            "--profiles-dir",
            "dbt_project",
            "--target-path",
            str(settings.home / "dbt_target"),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.fixture
def built(home, sandbox):
    settings = Settings.from_env()
    cfg = load_accounts(settings.config_file)
    for acc in cfg.for_platform("facebook"):
        extract_account(settings, cfg, acc, RUN_DS, days=3, run_id="dbt-test", policy=RetryPolicy(backoff_base=0.05))
    load_landing(settings.build_db, settings.landing_dir)
    return settings


def test_dbt_build_passes_on_a_small_window(built):
    proc = dbt(built, "build")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "ERROR=0" in proc.stdout
    con = duckdb.connect(str(built.build_db), read_only=True)
    try:
        n_days = con.execute("select count(distinct report_date) from marts.fct_account_daily").fetchone()[0]
        n_accounts = con.execute("select count(*) from marts.dim_accounts").fetchone()[0]
    finally:
        con.close()
    assert (n_days, n_accounts) == (3, 3)


def test_dbt_tests_catch_a_broken_relationship(built):
    assert dbt(built, "build").returncode == 0
    con = duckdb.connect(str(built.build_db))
    victim = con.execute("select post_id from raw.facebook__posts limit 1").fetchone()[0]
    con.execute("delete from raw.facebook__posts where post_id = ?", [victim])
    con.close()
    proc = dbt(built, "build")
    assert proc.returncode != 0
    assert "relationships" in proc.stdout


def test_data_tests_of_large_tables_read_the_days_a_build_writes(built):
    """Models with meta data_tests_recent_column (macro get_where_subquery): a duplicate
    older than the window escapes the daily tests and is caught by a full check."""
    assert dbt(built, "build").returncode == 0
    con = duckdb.connect(str(built.build_db))
    assert con.execute("select count(*) from marts.fct_comments").fetchone()[0] > 0
    con.execute(
        "insert into marts.fct_comments select * replace (created_at - interval 60 days as created_at)"
        " from marts.fct_comments order by comment_id limit 1"
    )
    con.close()
    test = ["--select", "unique_fct_comments_comment_id"]
    as_of = ["--vars", f"{{as_of: '{RUN_DS.isoformat()}'}}"]
    assert dbt(built, "test", *test, *as_of).returncode == 0  # window: as_of - 31 days
    assert dbt(built, "test", *test).returncode == 0  # window: the newest comment - 31 days
    everything = dbt(built, "test", *test, "--vars", f"{{as_of: '{RUN_DS}', data_tests_recent_days: 0}}")
    assert everything.returncode != 0 and "FAIL 1" in everything.stdout, everything.stdout[-2000:]
    full_refresh = dbt(built, "build", "--full-refresh", *test, *as_of)
    assert full_refresh.returncode != 0 and "FAIL 1" in full_refresh.stdout, full_refresh.stdout[-2000:]

    con = duckdb.connect(str(built.build_db))
    con.execute("insert into marts.fct_comments select * from marts.fct_comments order by created_at desc limit 1")
    con.close()
    recent = dbt(built, "test", *test, *as_of)
    assert recent.returncode != 0 and "FAIL" in recent.stdout, recent.stdout[-2000:]

    # a row without the scoping column is tested: not_null of that column still bites
    con = duckdb.connect(str(built.build_db))
    con.execute(
        "update marts.fct_comments set created_at = null where rowid = (select max(rowid) from marts.fct_comments)"
    )
    con.close()
    missing = dbt(built, "test", "--select", "not_null_fct_comments_created_at", *as_of)
    assert missing.returncode != 0 and "FAIL 1" in missing.stdout, missing.stdout[-2000:]


def test_a_meta_business_suite_export_reaches_the_marts(home, tmp_path):
    """CSV only (no API): import -> load -> dbt build; the marts equal the sandbox truth."""
    from datetime import timedelta

    from sandbox.exports import facebook_content_export
    from sandbox.truth import truth
    from socialpulse.imports.run import import_file

    settings = Settings.from_env()
    today = RUN_DS + timedelta(days=1)
    start = RUN_DS - timedelta(days=6)
    export = tmp_path / "content.csv"
    export.write_bytes(facebook_content_export(42, today, start, RUN_DS, "fr"))
    import_file(settings, load_accounts(settings.config_file), "facebook", export, RUN_DS)
    load_landing(settings.build_db, settings.landing_dir)
    proc = dbt(settings, "build")
    assert proc.returncode == 0, proc.stdout[-4000:]

    t = truth(seed=42, today=today, start=start, end=RUN_DS)
    metrics = {(m["post_id"], m["as_of"]): m for m in t["post_metrics"]}
    want = {
        f"facebook:{p['post_id']}": (RUN_DS, metrics[(p["post_id"], RUN_DS.isoformat())]["engagements"])
        for p in t["posts"]
        if p["platform"] == "facebook"
    }
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        got = dict(
            (r[0], (r[1], r[2]))
            for r in con.execute("select post_id, snapshot_date, engagements from marts.fct_post_engagement").fetchall()
        )
    finally:
        con.close()
    assert got == want and len(got) > 20
