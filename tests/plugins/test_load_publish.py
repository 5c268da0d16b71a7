import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime

import duckdb
import pytest

from socialpulse.landing import Partition, write_partition
from socialpulse.load import LoadError, load_landing
from socialpulse.publish import publish
from tests.plugins._db_helpers import run_sql

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def land(landing, ds, account, followers, run_id="r"):
    rows = [
        {
            "page_id": account,
            "name": "P",
            "link": None,
            "category": None,
            "followers_count": followers,
            "fan_count": None,
            "fetched_at": NOW,
        }
    ]
    return write_partition(
        landing, Partition("facebook", "page_snapshots", ds, account), rows, run_id=run_id, extracted_at=NOW
    )


def rows(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "select _ds, _account_key, followers_count, _landing_file from raw.facebook__page_snapshots order by 1, 2"
        ).fetchall()
    finally:
        con.close()


def test_load_is_idempotent_per_partition(tmp_path):
    landing, db = tmp_path / "landing", tmp_path / "build.duckdb"
    d1, d2 = date(2026, 11, 18), date(2026, 11, 19)
    land(landing, d1, "a", 10)
    land(landing, d1, "b", 20)
    report = load_landing(db, landing)
    assert report.files_loaded == 2 and report.rows_by_table == {"raw.facebook__page_snapshots": 2}
    assert report.max_ds == "2026-11-18"

    again = load_landing(db, landing)
    assert (again.files_loaded, again.files_skipped) == (0, 2)
    assert len(rows(db)) == 2

    land(landing, d1, "a", 11, run_id="rerun")  # a rerun of the same day replaces its partition
    land(landing, d2, "a", 12)
    report = load_landing(db, landing)
    assert report.files_loaded == 2
    assert [(r[1], r[2]) for r in rows(db)] == [("a", 11), ("b", 20), ("a", 12)]
    assert rows(db)[0][3] == "landing/platform=facebook/entity=page_snapshots/ds=2026-11-18/account=a.parquet"
    assert {(p.ds, p.account_key) for p in report.partitions} == {(d1, "a"), (d2, "a")}


def test_load_refuses_a_file_with_other_columns(tmp_path):
    landing, db = tmp_path / "landing", tmp_path / "build.duckdb"
    path = landing / "platform=facebook/entity=page_snapshots/ds=2026-11-18/account=a.parquet"
    path.parent.mkdir(parents=True)
    duckdb.sql(f"copy (select 1 as page_id) to '{path}' (format parquet)")
    with pytest.raises(LoadError, match=r"account=a\.parquet: columns differ .*\(missing \[") as refused:
        load_landing(db, landing, run_id="run-1")
    assert "audit.raw__facebook__page_snapshots" in str(refused.value)
    with duckdb.connect(str(db), read_only=True) as con:
        kept = con.execute(
            "select page_id, _landing_file, _audit_run_id from audit.raw__facebook__page_snapshots"
        ).fetchall()
        failure = con.execute(
            "select suite, partition_label, expectation, unexpected_count from audit.failures"
        ).fetchall()
        loaded = con.execute("select count(*) from raw.facebook__page_snapshots").fetchone()[0]
    assert kept == [(1, "landing/platform=facebook/entity=page_snapshots/ds=2026-11-18/account=a.parquet", "run-1")]
    assert failure == [("raw.facebook__page_snapshots", "ds=2026-11-18 account=a", "landing_columns_match", 1)]
    assert loaded == 0, "nothing of the refused file reaches raw"


def make_build(db, n):
    con = duckdb.connect(str(db))
    con.execute("create schema if not exists marts")
    con.execute("create or replace table marts.fct_x as select range as id from range(?)", [n])
    con.close()


def test_publish_replaces_serving_atomically_and_keeps_it_on_failure(tmp_path):
    build, serving = tmp_path / "build.duckdb", tmp_path / "warehouse.duckdb"
    make_build(build, 3)
    report = publish(build, serving, ds=date(2026, 11, 19), run_id="r1", exports_dir=tmp_path / "exports")
    assert report.tables == {"marts.fct_x": 3}
    assert (tmp_path / "exports" / "fct_x" / "data_0.parquet").exists()

    con = duckdb.connect(str(build))
    con.execute("drop schema marts cascade")
    con.close()
    with pytest.raises(RuntimeError, match="nothing to publish"):
        publish(build, serving, ds=date(2026, 11, 20), run_id="r2")
    con = duckdb.connect(str(serving), read_only=True)
    assert con.execute("select count(*) from marts.fct_x").fetchone()[0] == 3
    assert con.execute("select run_id from marts._published").fetchone()[0] == "r1"
    con.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build.duckdb", "exports", "warehouse.duckdb"]


def _differences(serving, build):
    """Per served or built table: rows of one not in the other (as multisets), and whether the columns match."""
    con = duckdb.connect(str(serving), read_only=True)
    try:
        con.execute(f"attach '{build}' as build (read_only)")
        names = {
            catalog: {
                r[0]
                for r in con.execute(
                    "select table_name from information_schema.tables where table_catalog = ? "
                    "and table_schema = 'marts' and table_name <> '_published'",
                    [catalog],
                ).fetchall()
            }
            for catalog in ("warehouse", "build")
        }
        assert names["warehouse"] == names["build"]
        found = {}
        for name in sorted(names["build"]):
            columns = [
                con.execute(f"select * from {c}.marts.{name} limit 0").description for c in ("warehouse", "build")
            ]
            served_only, built_only = (
                con.execute(
                    f"select count(*) from (from {a}.marts.{name} except all from {b}.marts.{name})"
                ).fetchone()[0]
                for a, b in (("warehouse", "build"), ("build", "warehouse"))
            )
            found[name] = (columns[0] == columns[1], served_only, built_only)
        return found
    finally:
        con.close()


def test_a_daily_publish_writes_the_rows_that_changed_and_serves_exactly_the_build(tmp_path):
    build, serving, exports = tmp_path / "build.duckdb", tmp_path / "warehouse.duckdb", tmp_path / "exports"
    run_sql(
        build,
        [
            "create schema marts",
            "create table marts.fct_a as select range as id, range % 7 as v, 'text ' || range as s from range(1000)",
            "create table marts.fct_b as select range as id, date '2026-01-01' + range::int as d from range(50)",
            "create table marts.rpt_dup as select 1 as k, 'same' as s from range(3) "
            "union all select range + 2, 'other' from range(10)",
            "create table marts.fct_c as select range as id from range(10)",
            "create table marts.fct_gone as select 1 as id",
            "create table marts.fct_all as select range as id, 0 as v from range(100)",
        ],
    )
    first = publish(build, serving, ds=date(2026, 11, 19), run_id="r1", exports_dir=exports)
    assert set(first.changes.values()) == {"copied"}
    untouched = {p: p.stat().st_mtime_ns for p in (exports / "fct_b").rglob("*.parquet")}
    assert len(untouched) == 2  # fct_b's 50 days: January and February 2026

    run_sql(
        build,
        [
            "update marts.fct_a set v = -1 where id in (3, 500, 999)",
            "delete from marts.fct_a where id in (10, 11)",
            "insert into marts.fct_a select range, 1, null from range(1000, 1004)",
            "delete from marts.rpt_dup where rowid = (select min(rowid) from marts.rpt_dup where k = 1)",
            "alter table marts.fct_c add column note varchar",
            "drop table marts.fct_gone",
            "create table marts.fct_new as select 42 as id",
            "update marts.fct_all set v = 1 where id < 90",
        ],
    )
    second = publish(build, serving, ds=date(2026, 11, 20), run_id="r2", exports_dir=exports)
    assert second.changes == {
        "marts.fct_a": "-5 +7 rows",  # 3 updated (each deleted and inserted), 2 deleted, 4 inserted
        "marts.fct_b": "unchanged",
        "marts.rpt_dup": "-3 +2 rows",  # three copies of a row became two
        "marts.fct_c": "rewritten",  # its columns changed
        "marts.fct_gone": "dropped",
        "marts.fct_new": "new",
        "marts.fct_all": "rewritten",  # 90 of its 100 rows changed
    }
    assert second.tables == {
        "marts.fct_a": 1002,
        "marts.fct_b": 50,
        "marts.rpt_dup": 12,
        "marts.fct_c": 10,
        "marts.fct_new": 1,
        "marts.fct_all": 100,
    }
    assert second.rows_written == 7 + 2 + 10 + 1 + 100
    assert all(same == (True, 0, 0) for same in _differences(serving, build).values()), _differences(serving, build)
    con = duckdb.connect(str(serving), read_only=True)
    assert con.execute("select ds, run_id from marts._published").fetchall() == [(date(2026, 11, 20), "r2")]
    con.close()

    # only the tables that changed are exported again; a dropped table's export goes
    assert {p: p.stat().st_mtime_ns for p in (exports / "fct_b").rglob("*.parquet")} == untouched
    assert not (exports / "fct_gone").exists()
    con = duckdb.connect()
    for name, count in second.tables.items():
        table = name.split(".")[1]
        assert con.execute(f"select count(*) from '{exports / table}/**/*.parquet'").fetchone()[0] == count, table
    assert con.execute(f"select count(*) from '{exports}/fct_a/*.parquet' where v = -1").fetchone()[0] == 3
    con.close()

    third = publish(build, serving, ds=date(2026, 11, 21), run_id="r3", exports_dir=exports)
    assert set(third.changes.values()) == {"unchanged"}
    assert third.rows_written == 0
    assert all(same == (True, 0, 0) for same in _differences(serving, build).values())


def test_api_and_csv_files_of_one_account_day_stand_side_by_side(tmp_path):
    landing, db = tmp_path / "landing", tmp_path / "build.duckdb"
    day = date(2026, 11, 18)
    rows = [
        {
            "page_id": "a",
            "name": "P",
            "link": None,
            "category": None,
            "followers_count": 10,
            "fan_count": None,
            "fetched_at": NOW,
        }
    ]
    part = Partition("facebook", "page_snapshots", day, "a")
    api = write_partition(landing, part, rows, run_id="api", extracted_at=NOW)
    csv = write_partition(
        landing, part, [{**rows[0], "followers_count": 9}], run_id="imp", extracted_at=NOW, source="csv"
    )
    assert api != csv and csv.name == "account=a.csv.parquet"
    load_landing(db, landing)
    write_partition(landing, part, [{**rows[0], "followers_count": 8}], run_id="imp2", extracted_at=NOW, source="csv")
    load_landing(db, landing)
    con = duckdb.connect(str(db), read_only=True)
    got = con.execute("select _source, followers_count from raw.facebook__page_snapshots order by 1").fetchall()
    con.close()
    assert got == [("api", 10), ("csv", 8)]


NEW_READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select count(*) from marts.fct_x").fetchone()[0])
print(con.execute("select run_id from marts._published").fetchone()[0])
"""


def test_a_reader_keeps_the_old_version_through_a_publish_and_a_new_one_sees_the_new(tmp_path):
    build, serving = tmp_path / "build.duckdb", tmp_path / "warehouse.duckdb"
    make_build(build, 3)
    publish(build, serving, ds=date(2026, 11, 19), run_id="r1")
    reader = duckdb.connect(str(serving), read_only=True)
    try:
        assert reader.execute("select count(*) from marts.fct_x").fetchone()[0] == 3
        make_build(build, 5)
        publish(build, serving, ds=date(2026, 11, 20), run_id="r2")
        # the open connection still reads the file it opened, whole and without error
        assert reader.execute("select count(*), max(id) from marts.fct_x").fetchone() == (3, 2)
        assert reader.execute("select run_id from marts._published").fetchone()[0] == "r1"
        # a new connection from another process (a BI tool, an analyst) sees the new one;
        # within one process DuckDB shares the instance of a path while any connection
        # to it is open, so a long-lived reader reconnects after closing them all
        seen = subprocess.run(
            [sys.executable, "-c", NEW_READER, str(serving)], capture_output=True, text=True, check=True
        ).stdout.split()
        assert seen == ["5", "r2"]
    finally:
        reader.close()


def _age(directory, seconds=60):
    """Make a directory look settled: last changed `seconds` ago."""
    past = time.time() - seconds
    os.utime(directory, (past, past))


def test_a_daily_load_lists_only_the_ds_directories_changed_since_the_last_one(tmp_path):
    landing, db = tmp_path / "landing", tmp_path / "build.duckdb"
    d1, d2 = date(2026, 11, 18), date(2026, 11, 19)
    f1 = land(landing, d1, "a", 10)
    land(landing, d1, "b", 20)
    _age(f1.parent)
    assert load_landing(db, landing).files_loaded == 2

    # a file changed in place, without a rename, leaves its directory's mtime alone:
    # proof that the settled directory is not listed again (landing writes always rename)
    mtime = f1.parent.stat().st_mtime_ns
    rewritten = land(tmp_path / "elsewhere", d1, "a", 99)
    f1.write_bytes(rewritten.read_bytes())
    os.utime(f1.parent, ns=(mtime, mtime))
    report = load_landing(db, landing)
    assert (report.files_loaded, report.files_skipped) == (0, 2)
    assert [r[2] for r in rows(db)] == [10, 20]

    # a new day, and a rerun of the old day (renamed into place): both directories are
    # listed, and every changed file of them is loaded (the rewritten one too)
    land(landing, d2, "a", 12)
    land(landing, d1, "b", 21, run_id="rerun")
    report = load_landing(db, landing)
    assert (report.files_loaded, report.files_skipped) == (3, 0)
    assert [(r[1], r[2]) for r in rows(db)] == [("a", 99), ("b", 21), ("a", 12)]


def test_a_ds_directory_changed_a_moment_ago_is_listed_again_next_time(tmp_path):
    """Racy directories: a file renamed in within the same clock tick would not move the
    mtime, so a directory changed less than SETTLED_SECONDS ago is not remembered."""
    landing, db = tmp_path / "landing", tmp_path / "build.duckdb"
    f1 = land(landing, date(2026, 11, 18), "a", 10)
    load_landing(db, landing)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from raw._load_dirs").fetchone()[0] == 0
    finally:
        con.close()
    mtime = f1.parent.stat().st_mtime_ns
    f2 = land(landing, date(2026, 11, 18), "b", 20)
    os.utime(f2.parent, ns=(mtime, mtime))  # the same tick: the mtime did not move
    assert load_landing(db, landing).files_loaded == 1
    assert [r[2] for r in rows(db)] == [10, 20]


def test_a_publish_writes_a_fresh_file_once_deleted_rows_left_a_quarter_of_it_free(tmp_path):
    build, serving = tmp_path / "build.duckdb", tmp_path / "warehouse.duckdb"
    run_sql(
        build,
        [
            "create schema marts",
            # about 100 MB that compresses badly
            "create table marts.fct_big as select range as id, md5(range::varchar) || md5((range + 1)::varchar) as s "
            "from range(3000000)",
            "create table marts.fct_small as select 1 as id",
        ],
    )

    def free_and_total():
        con = duckdb.connect(str(serving), read_only=True)
        try:
            return con.execute("select free_blocks, total_blocks from pragma_database_size()").fetchone()
        finally:
            con.close()

    publish(build, serving, ds=date(2026, 11, 19), run_id="r1")
    run_sql(build, ["drop table marts.fct_big"])
    dropped = publish(build, serving, ds=date(2026, 11, 20), run_id="r2")
    assert dropped.changes == {"marts.fct_small": "unchanged", "marts.fct_big": "dropped"}
    free, total = free_and_total()
    assert free > 256 and free > total / 4, (free, total)  # the copy kept the dropped table's blocks, now free
    size = serving.stat().st_size

    compacted = publish(build, serving, ds=date(2026, 11, 21), run_id="r3")
    assert compacted.changes == {"marts.fct_small": "copied"}
    assert free_and_total()[0] == 0
    assert serving.stat().st_size < size / 10


def _month_files(folder):
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*.parquet")}


def test_a_mart_with_a_date_is_synced_and_exported_by_the_partitions_that_changed(tmp_path):
    """Fingerprints per day (first DATE column, else a timestamp's UTC day): only the days
    whose rows differ are replaced, and only their months exported again."""
    build, serving, exports = tmp_path / "build.duckdb", tmp_path / "warehouse.duckdb", tmp_path / "exports"
    run_sql(
        build,
        [
            "create schema marts",
            # 120 days from 1 Sep 2026 (September to December), ten rows a day, and rows without a day
            "create table marts.fct_day as select range % 10 as k, date '2026-09-01' + (range // 10)::int as d, "
            "range as v from range(1200) union all select 99, null, range from range(3)",
            # a timestamp only: its UTC day is the key (23:30 UTC on 31 Oct is 1 Nov in Paris, still October here)
            "create table marts.fct_ts as select range as id, "
            "timestamptz '2026-10-31 23:30:00+00' + to_hours(range * 12) as seen_at from range(20)",
        ],
    )
    first = publish(build, serving, ds=date(2026, 12, 29), run_id="r1", exports_dir=exports)
    assert set(first.changes.values()) == {"copied"}
    before = _month_files(exports / "fct_day")
    assert sorted(before) == [f"month={m}/data_0.parquet" for m in ("2026-09", "2026-10", "2026-11", "2026-12", "undated")]
    assert sorted(_month_files(exports / "fct_ts")) == ["month=2026-10/data_0.parquet", "month=2026-11/data_0.parquet"]

    run_sql(
        build,
        [
            "update marts.fct_day set v = -v where d = date '2026-12-20'",
            "delete from marts.fct_day where d = date '2026-12-21' and k = 0",
            "insert into marts.fct_day values (0, date '2026-12-29', 7)",
            # a day whose rows are swapped between keys: same count, different rows
            "update marts.fct_day set k = 9 - k where d = date '2026-10-05'",
            "update marts.fct_ts set id = id + 100 where seen_at = timestamptz '2026-10-31 23:30:00+00'",
        ],
    )
    second = publish(build, serving, ds=date(2026, 12, 30), run_id="r2", exports_dir=exports)
    # whole days replaced: 20 Dec (10), 21 Dec (10 -> 9), 29 Dec (10 -> 11), 5 Oct (10)
    assert second.changes == {"marts.fct_day": "-40 +40 rows", "marts.fct_ts": "-1 +1 rows"}
    assert second.rows_written == 41
    assert all(same == (True, 0, 0) for same in _differences(serving, build).values()), _differences(serving, build)
    after = _month_files(exports / "fct_day")
    assert sorted(after) == sorted(before)
    rewritten = {name for name in after if after[name] != before[name]}
    assert rewritten == {"month=2026-10/data_0.parquet", "month=2026-12/data_0.parquet"}
    con = duckdb.connect()
    exported = con.execute(
        f"select count(*), sum(v), count(*) filter (where month = 'undated') from '{exports}/fct_day/*/*.parquet'"
    ).fetchone()
    con.execute(f"attach '{build}' as b (read_only)")
    assert exported == con.execute(
        "select count(*), sum(v), count(*) filter (where d is null) from b.marts.fct_day"
    ).fetchone()
    con.close()

    # a month left without rows loses its folder; a table left without rows keeps an empty file
    run_sql(build, ["delete from marts.fct_day where d < date '2026-10-01'", "delete from marts.fct_ts"])
    third = publish(build, serving, ds=date(2026, 12, 31), run_id="r3", exports_dir=exports)
    assert third.changes["marts.fct_day"] == "-300 +0 rows"
    assert "month=2026-09/data_0.parquet" not in _month_files(exports / "fct_day")
    assert sorted(_month_files(exports / "fct_ts")) == ["data_0.parquet"]
    con = duckdb.connect()
    assert con.execute(f"select count(*) from '{exports}/fct_ts/data_0.parquet'").fetchone() == (0,)
    assert [c[0] for c in con.execute(f"select * from '{exports}/fct_ts/data_0.parquet'").description] == ["id", "seen_at"]
    con.close()
    assert not [p for p in exports.iterdir() if p.name.startswith(".")]
