"""The freshness gate: marts.rpt_data_freshness audited with its committed suite."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest
from gx_builders import CONTEXT_ROOT

from socialpulse.quality import AuditTarget, run_audit

DS = date(2026, 11, 19)
MEASURED = pd.Timestamp("2026-11-20T00:00:00", tz="UTC")


def _row(platform: str, key: str, as_of: str, limit: int) -> dict:
    age = (MEASURED - pd.Timestamp(as_of, tz="UTC") - pd.Timedelta(days=1)) / pd.Timedelta(hours=1)
    return {
        "platform": platform,
        "account_id": f"{platform}:{key}",
        "account_key": key,
        "account_name": key.title(),
        "data_as_of": pd.Timestamp(as_of).date(),
        "newest_loaded_ds": pd.Timestamp(as_of).date(),
        "lagging_entities": None,
        "newest_report_date": pd.Timestamp(as_of).date(),
        "newest_published_at": pd.Timestamp(f"{as_of}T09:00:00", tz="UTC"),
        "newest_comment_created_at": pd.Timestamp(f"{as_of}T10:00:00", tz="UTC"),
        "last_loaded_at": pd.Timestamp("2026-11-20T06:05:00", tz="UTC"),
        "measured_at": MEASURED,
        "age_hours": float(age),
        "max_age_hours": limit,
        "is_stale": bool(age > limit),
    }


def _audit(tmp_path, rows: list[dict]):
    db = tmp_path / "build.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema marts")
        con.register("incoming", pd.DataFrame(rows))
        con.execute("create table marts.rpt_data_freshness as select * from incoming")
    target = AuditTarget(
        table="marts.rpt_data_freshness",
        suite="marts.rpt_data_freshness",
        where=None,
        partition_label=f"every account, as of the end of {DS}",
        as_of=DS.isoformat(),
    )
    return run_audit(CONTEXT_ROOT, db, [target])


def test_fresh_accounts_pass(tmp_path):
    report = _audit(
        tmp_path, [_row("facebook", "region_main", "2026-11-19", 48), _row("x", "x_main", "2026-11-19", 24)]
    )
    assert report.success, report.failure_message()


@pytest.mark.parametrize(("as_of", "limit", "stale"), [("2026-11-18", 24, False), ("2026-11-17", 24, True)])
def test_a_platform_staler_than_its_limit_fails_naming_the_account(tmp_path, as_of, limit, stale):
    rows = [_row("facebook", "region_main", "2026-11-19", 48), _row("bluesky", "bsky_main", as_of, limit)]
    report = _audit(tmp_path, rows)
    assert report.success is not stale
    if stale:
        message = report.failure_message()
        assert "suite marts.rpt_data_freshness" in message and "column='is_stale'" in message
        assert "'account_key': 'bsky_main'" in message and "'age_hours': 48.0" in message
        assert "older than its platform's documented limit" in message
