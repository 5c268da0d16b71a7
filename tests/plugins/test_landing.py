from datetime import UTC, date, datetime

import pyarrow.parquet as pq
import pytest

from socialpulse.landing import LandingError, Partition, list_partitions, write_extraction, write_partition

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
DS = date(2026, 11, 19)


def snapshot(followers: int) -> dict:
    return {
        "page_id": "1",
        "name": "P",
        "link": None,
        "category": None,
        "followers_count": followers,
        "fan_count": None,
        "fetched_at": NOW,
    }


def test_rerun_replaces_its_own_partition(tmp_path):
    part = Partition("facebook", "page_snapshots", DS, "main")
    first = write_partition(tmp_path, part, [snapshot(10)], run_id="r1", extracted_at=NOW)
    second = write_partition(tmp_path, part, [snapshot(12)], run_id="r2", extracted_at=NOW)
    assert first == second
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files == [first], "a rerun must leave exactly one file and no temporary file"
    table = pq.read_table(first).to_pylist()
    assert [(r["followers_count"], r["_run_id"], r["_ds"]) for r in table] == [(12, "r2", DS)]
    assert list_partitions(tmp_path) == [(part, first)]


def test_bad_row_names_entity_row_and_field(tmp_path):
    rows = [snapshot(1), {**snapshot(2), "page_id": None}]
    with pytest.raises(LandingError, match=r"facebook/page_snapshots row 1: field 'page_id'"):
        write_partition(
            tmp_path, Partition("facebook", "page_snapshots", DS, "main"), rows, run_id="r", extracted_at=NOW
        )
    assert not any(tmp_path.rglob("*.parquet"))


def test_extraction_is_all_or_nothing(tmp_path):
    good = {"page_snapshots": [snapshot(5)]}
    write_extraction(tmp_path, "facebook", "main", DS, good, run_id="r1", extracted_at=NOW)
    bad = {"page_snapshots": [snapshot(6)], "posts": [{"post_id": "x"}]}  # posts row misses required fields
    with pytest.raises(LandingError):
        write_extraction(tmp_path, "facebook", "main", DS, bad, run_id="r2", extracted_at=NOW)
    (path,) = tmp_path.rglob("*.parquet")
    assert pq.read_table(path).column("followers_count").to_pylist() == [5], "previous files stay untouched"


def test_unknown_field_is_refused(tmp_path):
    with pytest.raises(LandingError, match="not in the landing schema"):
        write_partition(
            tmp_path,
            Partition("facebook", "page_snapshots", DS, "main"),
            [{**snapshot(1), "access_token": "x"}],
            run_id="r",
            extracted_at=NOW,
        )
