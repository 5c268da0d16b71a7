"""socialpulse.quality beyond the suites: reading, configuration errors, side effects, speed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from gx_builders import (
    ACCOUNTS,
    CONTEXT_ROOT,
    DS,
    MART_TYPES,
    RAW_ENTITIES,
    mart_frame,
    mart_target,
    raw_frame,
    raw_target,
    write_marts,
    write_raw,
)

from socialpulse.quality import AuditTarget, read_batch, run_audit

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def test_read_batch_is_scoped_and_typed_in_utc(good_build):
    df = read_batch(good_build, raw_target("posts"))
    assert len(df) == len(raw_frame("posts"))
    assert set(df["_ds"].dt.date) == {DS}
    assert str(df["created_time"].dtype) == "datetime64[us, UTC]"
    assert str(df["_ds"].dtype).startswith("datetime64")


def test_batches_keep_the_dtypes_of_duckdb_df_that_the_suites_check(tmp_path):
    """Read through Arrow, a batch has `.df()`'s dtypes (the suites' type contract), except
    DATE and TIMESTAMP in nanoseconds, the unit GX compares to its bounds without a Python loop."""
    import duckdb

    db = tmp_path / "types.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create table main_t as select * from (values "
            "(1::bigint, 1::bigint, 2::integer, null::integer, 1.5::double, 2.25::decimal(10, 2), true, null::boolean, "
            "date '2026-11-25', timestamp '2026-11-25 10:00', timestamptz '2026-11-25 10:00+00', 'a', null::varchar), "
            "(2, null, 3, null, null, null, false, null, null, null, null, null, null)"
            ") as t(a, b, c, d, e, f, g, h, i, j, k, l, m)"
        )
    target = AuditTarget(table="main.main_t", suite="unused", where=None, partition_label="all")
    df = read_batch(db, target)
    dtypes = {c: str(t) for c, t in df.dtypes.items()}
    assert dtypes == {
        "a": "int64",
        "b": "Int64",
        "c": "int32",
        "d": "Int32",
        "e": "float64",
        "f": "float64",
        "g": "bool",
        "h": "boolean",
        "i": "datetime64[ns]",
        "j": "datetime64[ns]",
        "k": "datetime64[us, UTC]",
        "l": "str",
        "m": "str",
    }
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        expected = con.sql(f"select * from ({target.query})").df()
    for column in ("i", "j"):
        expected[column] = expected[column].astype("datetime64[ns]")
    expected["m"] = expected["m"].astype("str")
    pd.testing.assert_frame_equal(df, expected)


def test_read_batch_leaves_the_file_writable_by_others(good_build):
    read_batch(good_build, raw_target("posts"))
    write_raw(good_build, {"posts": raw_frame("posts")})  # no lock left behind


def test_target_from_mapping_and_back():
    data = {
        "table": "raw.facebook__posts",
        "suite": "raw.facebook__posts",
        "where": "_ds = '2026-11-19'",
        "partition_label": "ds=2026-11-19",
        "as_of": "2026-11-19",
        "allow_empty": True,
    }
    target = AuditTarget.coerce(data)
    assert target.to_dict() == data
    assert not target.requires_rows, "a posts partition may be empty (no post that day)"
    assert AuditTarget.coerce({**data, "allow_empty": False}).requires_rows
    assert AuditTarget.coerce(target) is target
    with pytest.raises(ValueError, match=re.escape("<schema>.<table>")):
        AuditTarget(table="posts; drop table x", suite="s", where=None, partition_label="p")


def test_configuration_mistakes_raise_before_reading(good_build, tmp_path):
    unknown = AuditTarget(table="raw.facebook__posts", suite="raw.facebook__reels", where=None, partition_label="p")
    with pytest.raises(ValueError, match=re.escape("raw.facebook__reels: no validation definition")):
        run_audit(CONTEXT_ROOT, good_build, [unknown])
    bad_date = AuditTarget("raw.facebook__posts", "raw.facebook__posts", None, "p", as_of="{{ ds }}")
    with pytest.raises(ValueError, match="is not a YYYY-MM-DD date"):
        run_audit(CONTEXT_ROOT, good_build, [bad_date])
    with pytest.raises(FileNotFoundError, match="DuckDB file"):
        run_audit(CONTEXT_ROOT, tmp_path / "nope.duckdb", [raw_target("posts")])
    with pytest.raises(FileNotFoundError, match=re.escape("great_expectations.yml")):
        run_audit(tmp_path, good_build, [raw_target("posts")])
    assert not (tmp_path / "gx").exists() and not (tmp_path / "great_expectations.yml").exists()


def test_unreadable_table_is_a_named_failure(tmp_path):
    db = write_raw(tmp_path / "b.duckdb", {"posts": raw_frame("posts")})
    report = run_audit(CONTEXT_ROOT, db, [raw_target("posts"), raw_target("comments")])
    assert [r.success for r in report.results] == [True, False]
    (failure,) = report.failures
    assert failure.expectation == "read_batch"
    assert "raw.facebook__comments" in report.failure_message()


def test_report_summary_is_json_for_xcom(good_build):
    report = run_audit(CONTEXT_ROOT, good_build, [raw_target("posts"), mart_target("dim_posts")])
    summary = json.loads(json.dumps(report.to_summary()))
    assert summary["success"] is True
    assert [t["suite"] for t in summary["targets"]] == ["raw.facebook__posts", "marts.dim_posts"]
    assert summary["targets"][0]["rows"] == len(raw_frame("posts"))


def test_audit_writes_nothing_into_the_repository_and_draws_no_progress_bars(good_build, capfd):
    def snapshot() -> dict[str, int]:
        return {str(p): p.stat().st_mtime_ns for p in CONTEXT_ROOT.rglob("*")}

    before = snapshot()
    capfd.readouterr()
    targets = [raw_target(e) for e in RAW_ENTITIES] + [mart_target(m) for m in MART_TYPES]
    assert run_audit(CONTEXT_ROOT, good_build, targets).success
    out, err = capfd.readouterr()
    assert "Calculating Metrics" not in out + err
    assert snapshot() == before


def test_import_is_cheap_and_telemetry_is_off():
    code = (
        "import os, sys; os.environ['GX_ANALYTICS_ENABLED'] = 'true'; import socialpulse.quality; "
        "print(os.environ['GX_ANALYTICS_ENABLED'], 'great_expectations' in sys.modules, 'duckdb' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(PLUGINS), "PATH": ""},
    ).stdout
    assert out.split() == ["false", "False", "False"]


def test_ninety_day_build_audits_in_seconds(tmp_path, record_property):
    """A 90-day backfill audited in one go: every raw entity over 90 partitions, then the marts."""
    accounts = {**ACCOUNTS, "region_jeunesse": "112233445566003"}
    days = [DS - timedelta(days=n) for n in range(90)]
    frames = {e: pd.concat([raw_frame(e, d, accounts) for d in days], ignore_index=True) for e in RAW_ENTITIES}
    db = write_raw(tmp_path / "b.duckdb", frames)
    write_marts(db, {m: mart_frame(m, days=90) for m in MART_TYPES})
    window = f"_ds between '{days[-1].isoformat()}' and '{DS.isoformat()}'"
    targets = [
        AuditTarget(f"raw.facebook__{e}", f"raw.facebook__{e}", window, "90 days", DS.isoformat()) for e in RAW_ENTITIES
    ] + [mart_target(m) for m in MART_TYPES]
    run_audit(CONTEXT_ROOT, db, targets[:1])  # pay the one-off GX import outside the timing
    started = time.perf_counter()
    report = run_audit(CONTEXT_ROOT, db, targets)
    elapsed = time.perf_counter() - started
    record_property("audit_seconds", round(elapsed, 2))
    assert report.success, report.failure_message()
    assert sum(r.row_count for r in report.results) > 10_000
    assert elapsed < 20, f"audit of a 90-day build took {elapsed:.1f}s"
