"""Mart suites on real DuckDB files: ranges, cross-column sanity and dates versus the audited ds."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from gx_builders import CONTEXT_ROOT, DS, MART_TYPES, mart_frame, mart_target, write_marts

from socialpulse.quality import AuditTarget, run_audit


def audit_mart(tmp_path, model: str, frame: pd.DataFrame):
    db = write_marts(tmp_path / "b.duckdb", {model: frame})
    return run_audit(CONTEXT_ROOT, db, [mart_target(model)])


def failing_line(report, model: str, expectation: str, column: str) -> str:
    assert not report.success
    message = report.failure_message()
    line = next((x for x in message.splitlines() if expectation in x and repr(column) in x), None)
    assert line, f"{expectation} on {column} did not fail:\n{message}"
    assert f"suite marts.{model} [as of {DS.isoformat()}]" in line
    return line


@pytest.mark.parametrize("model", sorted(MART_TYPES))
def test_good_mart_passes(good_build, model):
    report = run_audit(CONTEXT_ROOT, good_build, [mart_target(model)])
    assert report.success, report.failure_message()


@pytest.mark.parametrize(
    ("model", "column", "value", "expectation"),
    [
        ("fct_account_daily", "followers", 0, "expect_column_values_to_be_between"),
        ("fct_account_daily", "page_views", -1, "expect_column_values_to_be_between"),
        ("fct_account_daily", "views_paid", 999_999, "expect_column_pair_values_a_to_be_greater_than_b"),
        ("fct_account_daily", "report_date", DS + timedelta(days=1), "expect_column_values_to_be_between"),
        ("fct_account_daily", "report_date", pd.Timestamp("1999-12-31").date(), "expect_column_values_to_be_between"),
        ("fct_post_engagement", "engagement_rate", -0.5, "expect_column_values_to_be_between"),
        ("fct_post_engagement", "reach", 999_999, "expect_column_pair_values_a_to_be_greater_than_b"),
        ("fct_post_engagement", "snapshot_date", DS + timedelta(days=1), "expect_column_values_to_be_between"),
        ("dim_posts", "published_at", pd.Timestamp("2027-01-01", tz="UTC"), "expect_column_values_to_be_between"),
        ("dim_posts", "post_id", "112233445566001_1", "expect_column_values_to_match_regex"),
        ("dim_accounts", "first_report_date", DS + timedelta(days=3), "expect_column_values_to_be_between"),
    ],
)
def test_damaged_mart_fails(tmp_path, model, column, value, expectation):
    frame = mart_frame(model)
    if isinstance(value, pd.Timestamp):
        frame[column] = frame[column].astype("datetime64[us, UTC]")
    else:
        frame[column] = frame[column].astype(object)
    frame.loc[0, column] = value
    report = audit_mart(tmp_path, model, frame)
    line = failing_line(report, model, expectation, column)
    assert "unexpected" in line


def test_wrong_column_type_fails_with_observed_type(tmp_path):
    db = write_marts(tmp_path / "b.duckdb", {"fct_account_daily": mart_frame("fct_account_daily")})
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("alter table marts.fct_account_daily alter followers type double")
    report = run_audit(CONTEXT_ROOT, db, [mart_target("fct_account_daily")])
    line = failing_line(report, "fct_account_daily", "expect_column_values_to_be_of_type", "followers")
    assert "observed 'float64'" in line


def test_extra_column_fails(tmp_path):
    frame = mart_frame("dim_posts")
    db = write_marts(tmp_path / "b.duckdb", {"dim_posts": frame})
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("alter table marts.dim_posts add column legacy_score integer")
    report = run_audit(CONTEXT_ROOT, db, [mart_target("dim_posts")])
    assert "legacy_score" in report.failure_message()
    assert "expect_table_columns_to_match_set" in report.failure_message()


def test_empty_account_dimension_fails_but_empty_fact_scope_is_allowed(tmp_path):
    frames = {
        "dim_accounts": mart_frame("dim_accounts").iloc[0:0],
        "fct_post_engagement": mart_frame("fct_post_engagement"),
    }
    db = write_marts(tmp_path / "b.duckdb", frames)
    nothing_today = AuditTarget(
        table="marts.fct_post_engagement",
        suite="marts.fct_post_engagement",
        where="published_date > date '2100-01-01'",
        partition_label="future posts",
        as_of=DS.isoformat(),
    )
    report = run_audit(CONTEXT_ROOT, db, [mart_target("dim_accounts"), nothing_today])
    assert [r.success for r in report.results] == [False, True]
    assert "expect_table_row_count_to_be_between" in report.failure_message()


def test_mart_target_needs_as_of(good_build):
    target = AuditTarget(table="marts.dim_posts", suite="marts.dim_posts", where=None, partition_label="all")
    with pytest.raises(ValueError, match="as_of is required"):
        run_audit(CONTEXT_ROOT, good_build, [target])
