"""Instagram raw suites on a real build file: what the connector lands passes, damage fails loudly.

The good batch is not hand-made: the connector extracts both Instagram accounts from
the sandbox into a private landing zone and the loader writes `raw.instagram__*`, so
the suites are checked against exactly what production would load.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from sandbox import region
from sandbox.server import serve_in_thread
from socialpulse.config import load_accounts
from socialpulse.connectors.instagram import LANDING_SCHEMAS
from socialpulse.extract import extract_account
from socialpulse.load import load_landing
from socialpulse.quality import AuditReport, AuditTarget, run_audit
from socialpulse.settings import Settings

CONTEXT_ROOT = Path(__file__).resolve().parents[2] / "expectations"
DS = date(2026, 11, 19)
ENTITIES = tuple(LANDING_SCHEMAS)
COUNTERS = {
    "account_snapshots": "followers_count",
    "account_insights": "value",
    "audience_demographics": "value",
    "media": "like_count",
    "media_insights": "value",
    "comments": "like_count",
}
KEYS = {
    "account_snapshots": ("ig_user_id",),
    "account_insights": ("ig_user_id", "metric", "metric_type", "report_date", "_account_key"),
    "audience_demographics": ("ig_user_id", "metric", "breakdown", "breakdown_value"),
    "media": ("media_id",),
    "media_insights": ("media_id", "metric"),
    "comments": ("comment_id",),
}


@pytest.fixture(scope="module")
def good_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Landing written by the connector for DS (both accounts), loaded into a build file."""
    root = tmp_path_factory.mktemp("ig_audit")
    config = root / "accounts.yml"
    lines = ["region: x", "platforms:", "  instagram:", "    api_version: v25.0", "accounts:"]
    for a in region.accounts("instagram"):
        lines += [f"  - key: {a.key}", "    platform: instagram", f'    account_id: "{a.account_id}"']
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    handle = serve_in_thread(port=0, seed=42, today=DS + timedelta(days=1), quiet=True)
    patch = pytest.MonkeyPatch()
    try:
        patch.setenv("SOCIALPULSE_HOME", str(root / "home"))
        patch.setenv("SOCIALPULSE_ACCOUNTS", str(config))
        patch.setenv("SOCIALPULSE_SANDBOX_URL", handle.url)
        patch.setenv("SOCIALPULSE_INSTAGRAM_TOKEN", "sandbox-token")
        patch.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
        settings = Settings.from_env()
        cfg = load_accounts(settings.config_file)
        for account in cfg.for_platform("instagram"):
            extract_account(settings, cfg, account, DS, days=3, run_id="audit")
        db = root / "build.duckdb"
        load_landing(db, settings.landing_dir, platform="instagram")
        yield db
    finally:
        patch.undo()
        handle.stop()


def target(entity: str) -> AuditTarget:
    return AuditTarget(
        table=f"raw.instagram__{entity}",
        suite=f"raw.instagram__{entity}",
        where=f"_ds = '{DS.isoformat()}'",
        partition_label=f"ds={DS.isoformat()}",
    )


def damaged(good_db: Path, tmp_path: Path, sql: str) -> Path:
    """A copy of the good build file with one SQL change applied."""
    copy = tmp_path / "damaged.duckdb"
    copy.write_bytes(good_db.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute("set timezone = 'UTC'")
        con.execute(sql)
    return copy


def failing(report: AuditReport, entity: str, expectation: str) -> str:
    assert not report.success
    message = report.failure_message()
    line = next((x for x in message.splitlines() if expectation in x), None)
    assert line, f"{expectation} did not fail:\n{message}"
    assert f"suite raw.instagram__{entity}" in line and f"[ds={DS.isoformat()}]" in line
    return line


@pytest.mark.parametrize("entity", ENTITIES)
def test_what_the_connector_lands_passes(good_db: Path, entity: str) -> None:
    report = run_audit(CONTEXT_ROOT, good_db, [target(entity)])
    assert report.success, report.failure_message()
    (result,) = report.results
    assert result.row_count > 0 and result.evaluated >= 25


@pytest.mark.parametrize("entity", ENTITIES)
def test_negative_counter_fails(good_db: Path, tmp_path: Path, entity: str) -> None:
    column, table = COUNTERS[entity], f"raw.instagram__{entity}"
    sql = f"update {table} set {column} = -5 where rowid = (select min(rowid) from {table})"
    report = run_audit(CONTEXT_ROOT, damaged(good_db, tmp_path, sql), [target(entity)])
    line = failing(report, entity, "expect_column_values_to_be_between")
    assert column in line and "-5" in line


@pytest.mark.parametrize("entity", ENTITIES)
def test_duplicate_key_fails(good_db: Path, tmp_path: Path, entity: str) -> None:
    table = f"raw.instagram__{entity}"
    sql = f"insert into {table} select * from {table} where rowid = (select min(rowid) from {table})"
    report = run_audit(CONTEXT_ROOT, damaged(good_db, tmp_path, sql), [target(entity)])
    failing(report, entity, "expect_compound_columns_to_be_unique")


def test_raw_username_instead_of_pseudonym_fails(good_db: Path, tmp_path: Path) -> None:
    sql = "update raw.instagram__comments set author_pseudo_id = 'marie.dupont042' where not is_from_account"
    report = run_audit(CONTEXT_ROOT, damaged(good_db, tmp_path, sql), [target("comments")])
    line = failing(report, "comments", "expect_column_values_to_match_regex")
    assert "author_pseudo_id" in line


def test_future_media_timestamp_and_unknown_product_type_fail(good_db: Path, tmp_path: Path) -> None:
    sql = (
        "update raw.instagram__media set \"timestamp\" = timestamptz '2027-01-01 00:00:00+00', "
        "media_product_type = 'IGTV' where rowid = (select min(rowid) from raw.instagram__media)"
    )
    report = run_audit(CONTEXT_ROOT, damaged(good_db, tmp_path, sql), [target("media")])
    assert "2027-01-01" in failing(report, "media", "expect_column_values_to_be_between")
    assert "IGTV" in failing(report, "media", "expect_column_values_to_be_in_set")
