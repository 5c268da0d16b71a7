"""A batch over the row budget is validated in slices and reported as one batch.

The budget is lowered to a few rows (`SOCIALPULSE_AUDIT_CHUNK_ROWS`) so that a small
real DuckDB partition is sliced; every result is compared with the same audit in one
piece, so slicing can change how much memory an audit takes, never what it finds.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from gx_builders import CONTEXT_ROOT, DS, mart_frame, mart_target, raw_frame, raw_target, write_marts, write_raw

from socialpulse import quality
from socialpulse.quality import run_audit

ACCOUNTS = {f"page_{n:02d}": f"1122334455660{n:02d}" for n in range(8)}  # 8 accounts x 6 comments


def slices_of(db, target, suite) -> list[str]:
    definition = quality.validation_definitions(quality.open_context(CONTEXT_ROOT))[suite]
    with duckdb.connect(str(db), read_only=True) as con:
        return quality._slices(con, definition, target)


def audit_both_ways(monkeypatch, db, target):
    """(sliced report, whole report) of the same target."""
    monkeypatch.setenv("SOCIALPULSE_AUDIT_CHUNK_ROWS", "10")
    sliced = run_audit(CONTEXT_ROOT, db, [target])
    monkeypatch.setenv("SOCIALPULSE_AUDIT_CHUNK_ROWS", "1000000")
    whole = run_audit(CONTEXT_ROOT, db, [target])
    return sliced, whole


def test_a_big_batch_is_sliced_and_a_small_one_is_not(tmp_path, monkeypatch):
    db = write_raw(tmp_path / "b.duckdb", {"comments": raw_frame("comments", accounts=ACCOUNTS)})
    target = raw_target("comments")
    monkeypatch.setenv("SOCIALPULSE_AUDIT_CHUNK_ROWS", "10")
    assert len(slices_of(db, target, "raw.facebook__comments")) == 5  # 48 rows / 10
    monkeypatch.setenv("SOCIALPULSE_AUDIT_CHUNK_ROWS", "48")
    assert slices_of(db, target, "raw.facebook__comments") == []


def test_a_good_sliced_batch_passes_with_every_row_counted(tmp_path, monkeypatch):
    db = write_raw(tmp_path / "b.duckdb", {"comments": raw_frame("comments", accounts=ACCOUNTS)})
    sliced, whole = audit_both_ways(monkeypatch, db, raw_target("comments"))
    assert sliced.success and whole.success, sliced.failure_message()
    assert sliced.results[0].row_count == whole.results[0].row_count == 48
    assert sliced.results[0].evaluated == whole.results[0].evaluated


def test_failures_in_several_slices_add_up_to_the_whole_audit(tmp_path, monkeypatch):
    frame = raw_frame("comments", accounts=ACCOUNTS)
    bad = [0, 13, 29, 47]  # rows of four accounts, spread over the slices by their key's hash
    frame.loc[bad, "like_count"] = -1
    db = write_raw(tmp_path / "b.duckdb", {"comments": frame})
    sliced, whole = audit_both_ways(monkeypatch, db, raw_target("comments"))
    (s,) = [f for f in sliced.failures if f.kwargs.get("column") == "like_count"]
    (w,) = [f for f in whole.failures if f.kwargs.get("column") == "like_count"]
    assert (s.unexpected_count, s.element_count) == (w.unexpected_count, w.element_count) == (4, 48)
    assert sorted(s.rows["comment_id"]) == sorted(w.rows["comment_id"]) == sorted(frame.loc[bad, "comment_id"])
    assert len(s.sample) == 4
    assert "4 unexpected of 48" in sliced.failure_message()


def test_duplicates_across_accounts_are_still_found(tmp_path, monkeypatch):
    """Slices are cut on the unique key, not on the account: an id landed by two accounts
    (a generator or a connector bug) meets its copy in the same slice."""
    frame = raw_frame("comments", accounts=ACCOUNTS)
    copy = frame.iloc[[0]].assign(_account_key="page_07", _landing_file="elsewhere.parquet")
    frame = pd.concat([frame, copy], ignore_index=True)
    db = write_raw(tmp_path / "b.duckdb", {"comments": frame})
    monkeypatch.setenv("SOCIALPULSE_AUDIT_CHUNK_ROWS", "10")
    assert len(slices_of(db, raw_target("comments"), "raw.facebook__comments")) == 5
    sliced, whole = audit_both_ways(monkeypatch, db, raw_target("comments"))
    (s,) = [f for f in sliced.failures if f.expectation == "expect_compound_columns_to_be_unique"]
    (w,) = [f for f in whole.failures if f.expectation == "expect_compound_columns_to_be_unique"]
    assert s.unexpected_count == w.unexpected_count == 2
    assert set(s.rows["_account_key"]) == {frame.loc[0, "_account_key"], "page_07"}


def test_a_suite_with_a_whole_batch_check_is_never_sliced(tmp_path, monkeypatch):
    """dim_accounts counts its rows: a count per slice would mean nothing."""
    db = write_marts(tmp_path / "b.duckdb", {"dim_accounts": mart_frame("dim_accounts")})
    monkeypatch.setenv("SOCIALPULSE_AUDIT_CHUNK_ROWS", "1")
    assert slices_of(db, mart_target("dim_accounts"), "marts.dim_accounts") == []
    assert run_audit(CONTEXT_ROOT, db, [mart_target("dim_accounts")]).success


@pytest.mark.parametrize("budget", ["7", "1"])
def test_the_budget_changes_nothing_but_the_slicing(tmp_path, monkeypatch, budget):
    frame = raw_frame("comments", accounts=ACCOUNTS)
    frame.loc[5, "message"] = None  # allowed: a deleted text
    frame.loc[9, "created_time"] = pd.NaT
    db = write_raw(tmp_path / "b.duckdb", {"comments": frame})
    monkeypatch.setenv("SOCIALPULSE_AUDIT_CHUNK_ROWS", budget)
    sliced = run_audit(CONTEXT_ROOT, db, [raw_target("comments")])
    monkeypatch.setenv("SOCIALPULSE_AUDIT_CHUNK_ROWS", "1000000")
    whole = run_audit(CONTEXT_ROOT, db, [raw_target("comments")])

    def digest(report):
        return sorted((f.expectation, repr(f.kwargs), f.unexpected_count, f.element_count) for f in report.failures)

    assert digest(sliced) == digest(whole) != []


def test_a_target_of_several_parts_is_validated_once_until_too_big_then_part_by_part(tmp_path, monkeypatch):
    """The mart plan ORs each platform's scope into one target (one GX validation a day); a
    union over the budget is audited part by part, each part sliced on its own, with the
    same findings."""
    frame = raw_frame("comments", accounts=ACCOUNTS)
    frame.loc[[3, 40], "like_count"] = -1
    db = write_raw(tmp_path / "b.duckdb", {"comments": frame})
    halves = (sorted(ACCOUNTS)[:4], sorted(ACCOUNTS)[4:])
    parts = [(f"accounts {h[0]}..{h[-1]}", "_account_key in (" + ", ".join(f"'{a}'" for a in h) + ")") for h in halves]
    target = quality.AuditTarget(
        table="raw.facebook__comments",
        suite="raw.facebook__comments",
        where=" or ".join(f"({w})" for _, w in parts),
        partition_label="all accounts",
        allow_empty=True,
        as_of=DS.isoformat(),
        parts=parts,
    )
    assert quality.AuditTarget.coerce(target.to_dict()) == target  # through XCom and back
    monkeypatch.setenv("SOCIALPULSE_AUDIT_CHUNK_ROWS", "48")
    (whole,) = run_audit(CONTEXT_ROOT, db, [target]).results
    assert (whole.target.partition_label, whole.row_count) == ("all accounts", 48)
    monkeypatch.setenv("SOCIALPULSE_AUDIT_CHUNK_ROWS", "10")
    split = run_audit(CONTEXT_ROOT, db, [target]).results
    assert [(r.target.partition_label, r.row_count) for r in split] == [(label, 24) for label, _ in parts]
    found = {
        r.target.partition_label: f.unexpected_count
        for r in split
        for f in r.failures
        if f.kwargs.get("column") == "like_count"
    }
    (w,) = [f for f in whole.failures if f.kwargs.get("column") == "like_count"]
    assert sum(found.values()) == w.unexpected_count == 2
