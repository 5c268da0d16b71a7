"""What an audit leaves behind: the `audit` schema (failures and offending rows) and Data Docs.

Real DuckDB files and the committed suites; the operator runs as the build DAG runs it.
"""

from __future__ import annotations

import duckdb
import pytest
from airflow.sdk.exceptions import AirflowFailException
from gx_builders import CONTEXT_ROOT, DS, raw_frame, raw_target, write_raw

from socialpulse.operators import GreatExpectationsAuditOperator
from socialpulse.quality import audit_table, run_audit, write_audit_schema

RUN_ID = "scheduled__2026-11-20T06:00:00+00:00"


def _audit(db, docs_dir=""):
    op = GreatExpectationsAuditOperator(
        task_id="audit_raw",
        db_path=str(db),
        context_root=str(CONTEXT_ROOT),
        targets=[raw_target("posts"), raw_target("page_snapshots")],
        docs_dir=str(docs_dir),
    )
    return op.execute(context={"run_id": RUN_ID})


@pytest.fixture
def bad_posts(tmp_path):
    """Two posts with negative share counters among valid ones, and a clean page snapshot."""
    posts = raw_frame("posts")
    posts.loc[[0, 2], "shares_count"] = [-7, -1]
    return write_raw(tmp_path / "build.duckdb", {"posts": posts, "page_snapshots": raw_frame("page_snapshots")})


def test_a_failed_audit_writes_every_offending_row_with_all_its_columns(bad_posts):
    with pytest.raises(AirflowFailException):
        _audit(bad_posts)
    with duckdb.connect(str(bad_posts), read_only=True) as con:
        rows = con.sql(f"select * from {audit_table('raw.facebook__posts')} order by shares_count").df()
        raw_columns = [r[0] for r in con.sql("describe raw.facebook__posts").fetchall()]
    assert rows["shares_count"].tolist() == [-7, -1]
    assert set(raw_columns) <= set(rows.columns), "the whole row, not just the checked column"
    assert set(rows["_audit_expectation"]) == {"expect_column_values_to_be_between"}
    assert set(rows["_audit_run_id"]) == {RUN_ID}
    assert set(rows["_audit_severity"]) == {"critical"}


def test_the_failures_table_keeps_one_line_per_failed_check_and_run(bad_posts):
    for _ in range(2):
        with pytest.raises(AirflowFailException):
            _audit(bad_posts)
    with duckdb.connect(str(bad_posts), read_only=True) as con:
        failures = con.sql(
            "select suite, expectation, severity, unexpected_count, message, rows_table from audit.failures"
        ).fetchall()
    assert len(failures) == 2, "history: one line per run"
    suite, expectation, severity, unexpected, message, rows_table = failures[0]
    assert (suite, expectation, severity, unexpected) == (
        "raw.facebook__posts",
        "expect_column_values_to_be_between",
        "critical",
        2,
    )
    assert "shares_count" in message and f"ds={DS.isoformat()}" in message
    assert rows_table == "audit.raw__facebook__posts"


def test_a_clean_audit_writes_nothing(good_build):
    _audit(good_build)
    with duckdb.connect(str(good_build), read_only=True) as con:
        schemas = {r[0] for r in con.sql("select schema_name from information_schema.schemata").fetchall()}
    assert "audit" not in schemas


def test_a_renamed_column_condemns_the_whole_partition(tmp_path):
    posts = raw_frame("posts").rename(columns={"shares_count": "shares"})
    db = write_raw(tmp_path / "build.duckdb", {"posts": posts})
    report = run_audit(CONTEXT_ROOT, db, [raw_target("posts")])
    assert not report.success
    assert "mismatched columns" in report.failure_message() and "shares_count" in report.failure_message()
    written = write_audit_schema(db, report, run_id=RUN_ID)
    assert written == {"audit.raw__facebook__posts": len(posts)}


def test_data_docs_are_rebuilt_for_each_audit_and_hold_only_the_latest(bad_posts, tmp_path):
    docs = tmp_path / "docs" / "gx"
    docs.mkdir(parents=True)
    (docs / "stale.html").write_text("an older audit's page")
    with pytest.raises(AirflowFailException):
        _audit(bad_posts, docs_dir=docs)
    index = docs / "index.html"
    assert index.is_file()
    assert not (docs / "stale.html").exists()
    pages = [p.read_text() for p in docs.rglob("*.html")]
    assert any("raw.facebook__posts" in page for page in pages)
    assert not list(tmp_path.glob("docs/.gx.*")), "no temporary folder left behind"
