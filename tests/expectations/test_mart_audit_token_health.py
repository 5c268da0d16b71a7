"""marts.rpt_token_health audited with its committed suite: sane rows pass, an expired or
refused token warns (and publishes), impossible rows block."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
from gx_builders import CONTEXT_ROOT

from socialpulse.quality import AuditTarget, run_audit

DS = date(2026, 11, 19)
MEASURED = pd.Timestamp("2026-11-20T00:00:00", tz="UTC")
CALLED = pd.Timestamp("2026-11-20T00:05:00", tz="UTC")


def _row(platform: str, key: str, expires: str | None, **over) -> dict:
    expires_at = pd.Timestamp(expires, tz="UTC") if expires else pd.NaT
    days = None if expires is None else int((expires_at - MEASURED) // pd.Timedelta(days=1))
    status = (
        "unknown expiry"
        if expires is None
        else "expired"
        if expires_at <= MEASURED
        else "expiring"
        if expires_at - MEASURED <= pd.Timedelta(days=14)
        else "ok"
    )
    row = {
        "platform": platform,
        "account_key": key,
        "account_id": f"{key}-id",
        "last_successful_call_at": CALLED,
        "token_expires_at": expires_at,
        "days_to_expiry": days,
        "token_status": status,
        "is_auth_failing": False,
        "auth_failed_at": pd.NaT,
        "measured_at": MEASURED,
    }
    return {**row, **over}


def _audit(tmp_path, rows: list[dict]):
    db = tmp_path / "build.duckdb"
    frame = pd.DataFrame(rows)
    for column in ("last_successful_call_at", "token_expires_at", "auth_failed_at", "measured_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["days_to_expiry"] = frame["days_to_expiry"].astype("Int32")
    with duckdb.connect(str(db)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema marts")
        con.register("incoming", frame)
        con.execute("create table marts.rpt_token_health as select * from incoming")
    target = AuditTarget(
        table="marts.rpt_token_health",
        suite="marts.rpt_token_health",
        where=None,
        partition_label="every configured account",
        as_of=DS.isoformat(),
    )
    return run_audit(CONTEXT_ROOT, db, [target])


GOOD = [
    _row("facebook", "region_main", "2027-01-19T09:00:00"),
    _row("facebook", "region_transports", "2026-11-30T09:00:00"),
    _row("x", "x_region_main", None),
    _row("mastodon", "masto_region_main", None, last_successful_call_at=pd.NaT),
]


def test_healthy_and_expiring_tokens_pass_without_warnings(tmp_path):
    report = _audit(tmp_path, GOOD)
    assert report.success, report.failure_message()
    assert not report.warnings


def test_an_expired_or_refused_token_warns_and_publishes(tmp_path):
    expired = _row(
        "linkedin",
        "li_region_main",
        "2026-11-19T09:00:00",
        last_successful_call_at=pd.Timestamp("2026-11-18T00:05:00", tz="UTC"),
    )
    refused = _row(
        "instagram",
        "ig_region_main",
        None,
        is_auth_failing=True,
        auth_failed_at=pd.Timestamp("2026-11-20T00:05:00", tz="UTC"),
        last_successful_call_at=pd.Timestamp("2026-11-19T00:05:00", tz="UTC"),
    )
    report = _audit(tmp_path, [*GOOD, expired, refused])
    assert report.success, report.failure_message()
    warned = {(w.expectation, w.kwargs.get("column")) for w in report.warnings}
    assert warned == {
        ("expect_column_values_to_not_be_in_set", "token_status"),
        ("expect_column_values_to_be_in_set", "is_auth_failing"),
    }


def test_a_token_that_had_expired_when_it_worked_blocks(tmp_path):
    impossible = _row("facebook", "region_jeunesse", "2026-11-19T09:00:00")  # expired before the call that worked
    report = _audit(tmp_path, [*GOOD, impossible])
    assert not report.success
    assert "expect_column_pair_values_a_to_be_greater_than_b" in report.failure_message()
    assert "token_expires_at" in report.failure_message()
