"""LinkedIn raw suites on a real build file: what the connector lands passes, damage fails loudly.

The good build is made the way production makes it: the connector extracts both
LinkedIn Pages from the sandbox into landing files, and the loader writes them to
DuckDB. Each corruption then changes one thing in a copy of that file.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from socialpulse.connectors.linkedin import LANDING_SCHEMAS
from socialpulse.quality import AuditReport, AuditTarget, run_audit

CONTEXT_ROOT = Path(__file__).resolve().parents[2] / "expectations"
DS = date(2026, 11, 19)
ENTITIES = tuple(LANDING_SCHEMAS)
ACCOUNTS_YML = """\
region: test
timezone: Europe/Paris
platforms:
  linkedin:
    api_version: "202609"
accounts:
  - {key: li_region_main, platform: linkedin, account_id: "10493217", name: main}
  - {key: li_region_transports, platform: linkedin, account_id: "10493288", name: transports}
"""
COUNTERS = {
    "organization_snapshots": "followers_count",
    "follower_statistics": "paid_follower_gain",
    "share_statistics": "impression_count",
    "posts": None,
    "post_statistics": "like_count",
    "comments": "like_count",
}
KEYS = {
    "organization_snapshots": "organization_id",
    "follower_statistics": "time_range_start",
    "share_statistics": "time_range_start",
    "posts": "post_urn",
    "post_statistics": "post_urn",
    "comments": "comment_urn",
}


@pytest.fixture(scope="module")
def good_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Landing files from the connector over the sandbox, loaded into a fresh build file."""
    from sandbox.server import serve_in_thread
    from socialpulse.config import load_accounts
    from socialpulse.connectors.client import RetryPolicy
    from socialpulse.extract import extract_account
    from socialpulse.load import load_landing
    from socialpulse.settings import Settings

    root = tmp_path_factory.mktemp("li_audit")
    (root / "accounts.yml").write_text(ACCOUNTS_YML, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp, serve_in_thread(seed=42, today=DS + timedelta(days=1)) as sandbox:
        mp.setenv("SOCIALPULSE_HOME", str(root / "data"))
        mp.setenv("SOCIALPULSE_ACCOUNTS", str(root / "accounts.yml"))
        mp.setenv("SOCIALPULSE_SANDBOX_URL", sandbox.url)
        mp.setenv("SOCIALPULSE_LINKEDIN_TOKEN", "sandbox-token")
        mp.setenv("SOCIALPULSE_PSEUDONYM_KEY", "audit-test-key")
        settings = Settings.from_env()
        config = load_accounts(settings.config_file)
        for account in config.accounts:
            extract_account(
                settings, config, account, DS, days=3, run_id="audit", policy=RetryPolicy(backoff_base=0.01)
            )
        db = root / "build.duckdb"
        load_landing(db, settings.landing_dir, platform="linkedin")
    return db


def target(entity: str) -> AuditTarget:
    return AuditTarget(
        table=f"raw.linkedin__{entity}",
        suite=f"raw.linkedin__{entity}",
        where=f"_ds = DATE '{DS.isoformat()}'",
        partition_label=f"ds={DS.isoformat()}",
        as_of=DS,
        allow_empty=entity in ("posts", "post_statistics", "comments"),
    )


def corrupted(good_build: Path, tmp_path: Path, sql: str) -> Path:
    db = tmp_path / "bad.duckdb"
    shutil.copy(good_build, db)
    with duckdb.connect(str(db)) as con:
        con.execute(sql)
    return db


def failures_of(report: AuditReport, expectation: str) -> list:
    assert not report.success
    return [f for f in report.failures if f.expectation == expectation]


@pytest.mark.parametrize("entity", ENTITIES)
def test_landed_partition_passes(good_build: Path, entity: str) -> None:
    with duckdb.connect(str(good_build), read_only=True) as con:
        (rows,) = con.execute(f"select count(*) from raw.linkedin__{entity}").fetchone()
    assert rows > 0, "the sandbox window has data for every entity"
    report = run_audit(CONTEXT_ROOT, good_build, [target(entity)])
    assert report.success, report.failure_message()
    assert report.results[0].evaluated >= 25


@pytest.mark.parametrize("entity", [e for e in ENTITIES if COUNTERS[e]])
def test_negative_counter_fails(good_build: Path, tmp_path: Path, entity: str) -> None:
    column = COUNTERS[entity]
    sql = (
        f"update raw.linkedin__{entity} set {column} = -5 where rowid = (select min(rowid) from raw.linkedin__{entity})"
    )
    report = run_audit(CONTEXT_ROOT, corrupted(good_build, tmp_path, sql), [target(entity)])
    (failure,) = [f for f in failures_of(report, "expect_column_values_to_be_between") if f.kwargs["column"] == column]
    assert failure.unexpected_count == 1
    assert f"suite raw.linkedin__{entity} [ds={DS.isoformat()}]" in report.failure_message()


@pytest.mark.parametrize("entity", ENTITIES)
def test_duplicate_key_fails(good_build: Path, tmp_path: Path, entity: str) -> None:
    table = f"raw.linkedin__{entity}"
    sql = f"insert into {table} select * from {table} where rowid = (select min(rowid) from {table})"
    report = run_audit(CONTEXT_ROOT, corrupted(good_build, tmp_path, sql), [target(entity)])
    (failure,) = failures_of(report, "expect_compound_columns_to_be_unique")
    assert failure.unexpected_count == 2
    assert KEYS[entity] in failure.kwargs["column_list"]


@pytest.mark.parametrize(
    ("entity", "column"),
    [("follower_statistics", "time_range_start"), ("share_statistics", "time_range_start"), ("posts", "created_at")],
)
def test_future_timestamp_fails(good_build: Path, tmp_path: Path, entity: str, column: str) -> None:
    table = f"raw.linkedin__{entity}"
    sql = f"update {table} set {column} = {column} + interval 30 day where rowid = (select min(rowid) from {table})"
    report = run_audit(CONTEXT_ROOT, corrupted(good_build, tmp_path, sql), [target(entity)])
    assert [f for f in failures_of(report, "expect_column_values_to_be_between") if f.kwargs["column"] == column]


def test_raw_member_urn_instead_of_pseudonym_fails(good_build: Path, tmp_path: Path) -> None:
    sql = (
        "update raw.linkedin__comments set author_pseudo_id = 'urn:li:person:mLczN0kw' "
        "where rowid = (select min(rowid) from raw.linkedin__comments where not is_from_account)"
    )
    report = run_audit(CONTEXT_ROOT, corrupted(good_build, tmp_path, sql), [target("comments")])
    (failure,) = [
        f
        for f in failures_of(report, "expect_column_values_to_match_regex")
        if f.kwargs["column"] == "author_pseudo_id"
    ]
    assert failure.unexpected_count == 1


def test_missing_partition_is_a_failure(good_build: Path) -> None:
    empty = AuditTarget(
        table="raw.linkedin__share_statistics",
        suite="raw.linkedin__share_statistics",
        where="_ds = DATE '2026-11-25'",
        partition_label="ds=2026-11-25",
    )
    report = run_audit(CONTEXT_ROOT, good_build, [empty])
    assert not report.success
    assert report.failures[0].expectation == "batch_has_rows"
