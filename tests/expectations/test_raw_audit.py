"""Raw suites on real DuckDB files: a good partition passes, each kind of damage fails loudly."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from gx_builders import CONTEXT_ROOT, DS, RAW_ENTITIES, raw_frame, raw_target, write_raw

from socialpulse.quality import AuditFailed, AuditReport, run_audit

COUNTERS = {
    "page_snapshots": "followers_count",
    "page_insights": "value",
    "posts": "shares_count",
    "post_insights": "value",
    "comments": "like_count",
}
KEYS = {
    "page_snapshots": "page_id",
    "page_insights": "metric",
    "posts": "post_id",
    "post_insights": "post_id",
    "comments": "comment_id",
}
PLATFORM_TIMES = {  # the timestamp that must not lie in the future, and the check that says so
    "page_insights": ("end_time", "expect_column_values_to_be_between"),
    "posts": ("created_time", "expect_column_values_to_be_between"),
    "comments": ("created_time", "expect_column_pair_values_a_to_be_greater_than_b"),
}


def audit_one(db: Path, entity: str, frame: pd.DataFrame, **target) -> AuditReport:
    write_raw(db, {entity: frame})
    return run_audit(CONTEXT_ROOT, db, [raw_target(entity, **target)])


def assert_names(report: AuditReport, entity: str, expectation: str, column: str | None = None) -> str:
    """The single message names suite, expectation (with column), partition and offending rows."""
    assert not report.success
    message = report.failure_message()
    hits = [f for f in report.failures if f.expectation == expectation]
    assert hits, f"{expectation} did not fail:\n{message}"
    line = next(
        line for line in message.splitlines() if expectation in line and (column is None or repr(column) in line)
    )
    assert f"suite raw.facebook__{entity}" in line
    assert f"[ds={DS.isoformat()}]" in line
    return line


@pytest.mark.parametrize("entity", RAW_ENTITIES)
def test_good_partition_passes(good_build, entity):
    report = run_audit(CONTEXT_ROOT, good_build, [raw_target(entity)])
    assert report.success, report.failure_message()
    (result,) = report.results
    assert result.row_count == len(raw_frame(entity))  # the other ds is not in the batch
    assert result.evaluated >= 30
    assert report.failure_message() == ""
    report.raise_for_failures()


@pytest.mark.parametrize("entity", RAW_ENTITIES)
def test_negative_counter_fails_with_offending_row(tmp_path, entity):
    frame = raw_frame(entity)
    frame.loc[0, COUNTERS[entity]] = -5
    report = audit_one(tmp_path / "b.duckdb", entity, frame)
    line = assert_names(report, entity, "expect_column_values_to_be_between", COUNTERS[entity])
    assert "1 unexpected" in line and "-5" in line
    (failure,) = [f for f in report.failures if f.kwargs.get("column") == COUNTERS[entity]]
    assert failure.unexpected_count == 1
    assert failure.sample[0][COUNTERS[entity]] == -5
    assert "_ds" in failure.sample[0], "offending rows are identified by their key columns"


@pytest.mark.parametrize("entity", RAW_ENTITIES)
def test_duplicate_key_fails(tmp_path, entity):
    frame = raw_frame(entity)
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    report = audit_one(tmp_path / "b.duckdb", entity, frame)
    line = assert_names(report, entity, "expect_compound_columns_to_be_unique")
    assert "2 unexpected" in line
    assert str(frame.loc[0, KEYS[entity]]) in line


@pytest.mark.parametrize("entity", sorted(PLATFORM_TIMES))
def test_future_timestamp_fails(tmp_path, entity):
    column, expectation = PLATFORM_TIMES[entity]
    frame = raw_frame(entity)
    frame[column] = frame[column].astype("datetime64[us, UTC]")
    frame.loc[0, column] = pd.Timestamp(DS + timedelta(days=30), tz="UTC")
    report = audit_one(tmp_path / "b.duckdb", entity, frame)
    line = assert_names(report, entity, expectation)
    assert (DS + timedelta(days=30)).isoformat() in line


@pytest.mark.parametrize("entity", RAW_ENTITIES)
def test_missing_column_fails_naming_it(tmp_path, entity):
    frame = raw_frame(entity).drop(columns=[COUNTERS[entity]])
    report = audit_one(tmp_path / "b.duckdb", entity, frame)
    line = assert_names(report, entity, "expect_table_columns_to_match_set")
    assert "missing" in line and COUNTERS[entity] in line


@pytest.mark.parametrize("entity", RAW_ENTITIES)
def test_empty_partition_is_a_failure_not_silence(good_build, entity):
    missing = DS + timedelta(days=1)
    report = run_audit(CONTEXT_ROOT, good_build, [raw_target(entity, ds=missing)])
    assert not report.success
    (failure,) = report.failures
    assert failure.expectation == "batch_has_rows"
    message = report.failure_message()
    assert f"suite raw.facebook__{entity} [ds={missing.isoformat()}]" in message
    assert "returned no rows" in message and "missing partition" in message
    with pytest.raises(AuditFailed, match=f"raw.facebook__{entity}"):
        report.raise_for_failures()


def test_an_entity_allowed_to_be_empty_passes_when_empty(good_build):
    """No post on an account-day is a fact, not a missing extraction (the file exists, empty)."""
    from dataclasses import replace

    missing = DS + timedelta(days=1)
    target = replace(raw_target("posts", ds=missing), allow_empty=True, as_of=missing.isoformat())
    report = run_audit(CONTEXT_ROOT, good_build, [target])
    assert report.success, report.failure_message()


def test_audit_is_scoped_to_the_partition(tmp_path):
    """Damage in an older partition does not fail today's audit, and is caught in its own."""
    old = raw_frame("posts", DS - timedelta(days=1))
    old.loc[0, "shares_count"] = -1
    db = write_raw(tmp_path / "b.duckdb", {"posts": pd.concat([old, raw_frame("posts")])})
    assert run_audit(CONTEXT_ROOT, db, [raw_target("posts")]).success
    assert not run_audit(CONTEXT_ROOT, db, [raw_target("posts", ds=DS - timedelta(days=1))]).success


def test_sample_is_capped_at_five_rows(tmp_path):
    frame = raw_frame("post_insights")
    frame["value"] = -1
    report = audit_one(tmp_path / "b.duckdb", "post_insights", frame)
    (failure,) = [f for f in report.failures if f.kwargs.get("column") == "value"]
    assert failure.unexpected_count == len(frame) > 5
    assert len(failure.sample) == 5


@pytest.mark.parametrize(
    ("column", "value", "expectation"),
    [
        ("_source", "manual", "expect_column_values_to_be_in_set"),
        ("_landing_file", "/srv/socialpulse/data/landing/x.parquet", "expect_column_values_to_match_regex"),
        ("author_pseudo_id", "100004512345678", "expect_column_values_to_match_regex"),
        ("comment_id", None, "expect_column_values_to_not_be_null"),
    ],
)
def test_contract_breaks_fail(tmp_path, column, value, expectation):
    frame = raw_frame("comments")
    frame.loc[1, column] = value
    report = audit_one(tmp_path / "b.duckdb", "comments", frame)
    assert_names(report, "comments", expectation, column)


def test_failures_of_several_suites_make_one_message(tmp_path):
    posts, comments = raw_frame("posts"), raw_frame("comments")
    posts.loc[0, "comments_total_count"] = -2
    comments.loc[0, "like_count"] = -3
    db = write_raw(tmp_path / "b.duckdb", {"posts": posts, "comments": comments})
    report = run_audit(CONTEXT_ROOT, db, [raw_target("posts"), raw_target("comments")])
    message = report.failure_message()
    assert message.startswith("Data audit failed: 2 failing check(s) in 2 of 2 suite(s).")
    assert "suite raw.facebook__posts" in message and "suite raw.facebook__comments" in message
