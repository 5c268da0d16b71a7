"""Publish: write-audit-publish's last step.

The serving database (`warehouse.duckdb`) holds the marts only. It is built under a
temporary name next to its final place and renamed over it in one atomic step, so
BI tools and analysts (who open it read-only) see yesterday's complete warehouse or
today's, never a mix; a failed build or audit never reaches this function, and the
previous file stays. Parquet exports of the marts are replaced the same way.

A daily publish writes what changed, not every mart: the temporary file starts as a
copy of the served one, and each mart is brought to the build's content. A mart with a
date (its first DATE column, else its first timestamp's UTC day: `partition_key`) is
compared day by day: each side's rows of a day give a count and a sum of row hashes
(`hash(*columns(*))`), and the days whose fingerprints differ are deleted and inserted
whole, so the work follows the days the build changed. A mart without a date is
compared by rows, as a multiset of hashes: the rows whose hash is in one side and not
(as often) in the other are deleted and inserted. A table more than half rewritten, or
whose columns changed, is copied whole. The first publish, and one whose served file
has more than `COMPACT_FREE_RATIO` of free blocks (space left by deleted rows) and more
than 64 MiB, copies every mart into a fresh file.

Exports follow the same days: each mart is a folder of Parquet files, one per month of
its date (`<mart>/month=YYYY-MM/data_0.parquet`, hive style; `month=undated` for rows
without one; a mart without a date is one `<mart>/data_0.parquet`), and only the months
of the days changed are written again, each file replaced atomically.

`republish` replaces only some tables, keeping every other one exactly as it was
published: the hourly veille publishes the comment marts it rebuilt (the others stay
as the last audited daily build left them), and the retention purge rewrites the
serving copy without its expired comment texts. Same atomic rename, same exports.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

SERVED_SCHEMAS = ("marts",)
PUBLISHED = "marts._published"
# past this share of free blocks in the served file, and this many (of 256 KiB: 64 MiB),
# publish writes a fresh one
COMPACT_FREE_RATIO = 0.25
COMPACT_MIN_FREE_BLOCKS = 256
# a table whose changed rows are more than this share of it is copied whole
REWRITE_RATIO = 0.5


@dataclass
class PublishReport:
    serving_db: Path
    tables: dict[str, int]
    # what publish did to each table: "copied" (fresh file), "unchanged",
    # "-D +I rows", "rewritten", "new", "dropped"
    changes: dict[str, str] = field(default_factory=dict)

    @property
    def rows_written(self) -> int:
        """Rows publish wrote into the serving database: inserted ones, and whole tables copied."""
        written = 0
        for table, change in self.changes.items():
            if change.endswith(" rows"):
                written += int(change.split("+")[1].split()[0])
            elif change not in ("unchanged", "dropped"):
                written += self.tables.get(table, 0)
        return written

    def summary(self) -> str:
        rows = ", ".join(f"{t}={n}" for t, n in sorted(self.tables.items()))
        changed = {t: c for t, c in sorted(self.changes.items()) if c != "unchanged"}
        how = "; ".join(f"{t} {c}" for t, c in changed.items()) or "no table changed"
        return f"published {self.serving_db.name}: {rows} ({how})"


def _quote(path: Path) -> str:
    return path.as_posix().replace("'", "''")


def _temp_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")


def _sweep_temps(final: Path) -> None:
    """Remove what a publish killed before its rename left beside `final` (its temp
    file and the temp's WAL, or an export's temporary folder). Every publisher runs in the single writer pool, so no
    other publish is writing one now; a leftover would otherwise stay forever."""
    stale = re.compile(rf"\.{re.escape(final.name)}\.[0-9a-f]{{32}}\.tmp(\.wal)?")
    if final.parent.is_dir():
        for path in final.parent.iterdir():
            if stale.fullmatch(path.name):
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def _start_from_served(serving_db: Path, tmp: Path, *, compact: bool) -> bool:
    """Copy the served file to `tmp` when there is one to start from; False: start empty.

    A served file with a WAL beside it was not closed by a publish (which checkpoints
    before its rename) and is not copied. With `compact`, a file whose free blocks are
    more than COMPACT_FREE_RATIO of it is not copied either: starting empty writes it
    without the space of the rows deleted by earlier publishes."""
    if not serving_db.exists() or Path(f"{serving_db}.wal").exists():
        return False
    if compact:
        con = duckdb.connect(str(serving_db), read_only=True)
        try:
            free, total = con.execute(
                "select free_blocks, total_blocks from pragma_database_size() where database_name = current_database()"
            ).fetchone()
        finally:
            con.close()
        if free > COMPACT_MIN_FREE_BLOCKS and free > COMPACT_FREE_RATIO * total:
            return False
    shutil.copyfile(serving_db, tmp)
    return True


def _connect(path: Path, memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), config={"memory_limit": memory_limit} if memory_limit else {})


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    schemas = ", ".join(repr(s) for s in SERVED_SCHEMAS)
    return [
        f"{r[0]}.{r[1]}"
        for r in con.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = ? "
            f"and table_type = 'BASE TABLE' and table_schema in ({schemas}) order by 1, 2",
            [catalog],
        ).fetchall()
    ]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, qualified: str) -> list[tuple[str, str]]:
    schema, name = qualified.split(".")
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, name],
    ).fetchall()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class PartitionKey:
    """The day a mart's row belongs to, for publish: a DATE column, or a timestamp's UTC day."""

    column: str
    data_type: str

    @property
    def expr(self) -> str:
        """SQL: the row's day (a DATE)."""
        if self.data_type == "DATE":
            return _ident(self.column)
        if self.data_type == "TIMESTAMP WITH TIME ZONE":
            return f"cast(timezone('UTC', {_ident(self.column)}) as date)"
        return f"cast({_ident(self.column)} as date)"

    def within(self, first: date, after: date) -> str:
        """SQL: the row's day is in [first, after), on the column itself (so that DuckDB
        skips the row groups outside the bounds)."""
        column = _ident(self.column)
        if self.data_type == "DATE":
            return f"{column} >= date '{first}' and {column} < date '{after}'"
        cast = "timestamptz" if self.data_type == "TIMESTAMP WITH TIME ZONE" else "timestamp"
        zone = "+00" if cast == "timestamptz" else ""
        return f"{column} >= {cast} '{first} 00:00:00{zone}' and {column} < {cast} '{after} 00:00:00{zone}'"


def partition_key(columns: list[tuple[str, str]]) -> PartitionKey | None:
    """How publish splits a mart into days: its first DATE column, else its first
    timestamp (its UTC day); None: the table has neither."""
    for name, data_type in columns:
        if data_type == "DATE":
            return PartitionKey(name, data_type)
    for name, data_type in columns:
        if data_type.startswith("TIMESTAMP"):
            return PartitionKey(name, data_type)
    return None


# the partitions a sync changed: a set of partition key values (dates, None for NULL),
# or ALL when the whole table was written
ALL = None
Changed = set | None


def _in_keys(key: str, keys: str) -> str:
    """SQL: the row's partition key is one of table `keys`'s k (NULL matching NULL)."""
    return (
        f"({key} in (select k from {keys} where k is not null) "
        f"or ({key} is null and exists (select 1 from {keys} where k is null)))"
    )


def _sync(con: duckdb.DuckDBPyConnection, here: str, qualified: str, source: str) -> tuple[str, Changed]:
    """Bring table `qualified` of catalog `here` (the default one) to the rows of `source.qualified`.

    Returns what was done and the partitions changed (ALL, or a set of partition keys)."""
    src = f"{source}.{qualified}"
    columns = _columns(con, here, qualified)
    if columns != _columns(con, source, qualified):
        con.execute(f"create or replace table {qualified} as select * from {src}")
        return "rewritten", ALL
    partition = partition_key(columns)
    if partition is None:
        return _sync_rows(con, qualified, src), ALL
    key = partition.expr
    # a fingerprint per partition (its rows' count and hash sum): the partitions whose
    # fingerprints differ are replaced whole, the others are not touched
    fingerprint = "select {key} as k, count(*) as n, sum(hash(*columns(*))::hugeint) as h from {table} group by all"
    con.execute(
        "create or replace temp table _publish_parts as "
        f"with new as ({fingerprint.format(key=key, table=src)}), "
        f"old as ({fingerprint.format(key=key, table=qualified)}) "
        "select coalesce(new.k, old.k) as k, new.n as new_n, old.n as old_n "
        "from new full join old on new.k is not distinct from old.k "
        "where new.n is distinct from old.n or new.h is distinct from old.h"
    )
    try:
        changed = con.execute("select k, new_n, old_n from _publish_parts").fetchall()
        if not changed:
            return "unchanged", set()
        inserted = sum(r[1] or 0 for r in changed)
        deleted = sum(r[2] or 0 for r in changed)
        size = con.execute(f"select count(*) from {src}").fetchone()[0]
        if inserted > REWRITE_RATIO * size:
            con.execute(f"create or replace table {qualified} as select * from {src}")
            return "rewritten", ALL
        con.execute(f"delete from {qualified} where {_in_keys(key, '_publish_parts')}")
        con.execute(f"insert into {qualified} select * from {src} where {_in_keys(key, '_publish_parts')}")
        return f"-{deleted} +{inserted} rows", {r[0] for r in changed}
    finally:
        con.execute("drop table _publish_parts")


def _sync_rows(con: duckdb.DuckDBPyConnection, qualified: str, src: str) -> str:
    """`_sync` of a table without a partition key: rows compared by their hash, as a multiset."""
    fingerprint = "select count(*), sum(hash(*columns(*))::hugeint) from {}"
    new_fingerprint = con.execute(fingerprint.format(src)).fetchone()
    if con.execute(fingerprint.format(qualified)).fetchone() == new_fingerprint:
        return "unchanged"
    size = new_fingerprint[0]
    # hashes whose count differs: every row with one of them is deleted and inserted
    con.execute(
        "create or replace temp table _publish_diff as "
        f"with new as (select hash(*columns(*)) as h, count(*) as n from {src} group by all), "
        f"old as (select hash(*columns(*)) as h, count(*) as n from {qualified} group by all) "
        "select h, new.n as new_n, old.n as old_n from new full join old using (h) "
        "where new.n is distinct from old.n"
    )
    try:
        inserted, deleted = con.execute(
            "select coalesce(sum(new_n), 0), coalesce(sum(old_n), 0) from _publish_diff"
        ).fetchone()
        if inserted > REWRITE_RATIO * size:
            con.execute(f"create or replace table {qualified} as select * from {src}")
            return "rewritten"
        con.execute(
            f"delete from {qualified} where rowid in (select rowid from {qualified} "
            "where hash(*columns(*)) in (select h from _publish_diff where old_n is not null))"
        )
        con.execute(
            f"insert into {qualified} select * from {src} "
            "where hash(*columns(*)) in (select h from _publish_diff where new_n is not null)"
        )
        return f"-{deleted} +{inserted} rows"
    finally:
        con.execute("drop table _publish_diff")


def publish(
    build_db: Path,
    serving_db: Path,
    *,
    ds: date,
    run_id: str,
    exports_dir: Path | None = None,
    memory_limit: str | None = None,
) -> PublishReport:
    """The build database's marts as the new serving database (see the module's doc).

    `memory_limit` (DuckDB's, e.g. "4GB"; None: DuckDB's default) bounds the row
    comparison, which spills to disk past it."""
    if not build_db.exists():
        raise FileNotFoundError(f"{build_db}: build database missing; run load and dbt first")
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    _sweep_temps(serving_db)
    tmp = _temp_name(serving_db)
    tables: dict[str, int] = {}
    changes: dict[str, str] = {}
    parts: dict[str, Changed] = {}
    try:
        incremental = _start_from_served(serving_db, tmp, compact=True)
        con = _connect(tmp, memory_limit)
        try:
            con.execute(f"attach '{_quote(build_db)}' as build (read_only)")
            found = _tables(con, "build")
            if not found:
                raise RuntimeError(f"{build_db}: no tables in schemas {SERVED_SCHEMAS}; nothing to publish")
            here = con.execute("select current_database()").fetchone()[0]
            served = set(_tables(con, here))
            con.execute("begin transaction")
            for schema in SERVED_SCHEMAS:
                con.execute(f"create schema if not exists {schema}")
            for qualified in found:
                if qualified in served:
                    changes[qualified], parts[qualified] = _sync(con, here, qualified, "build")
                else:
                    con.execute(f"create table {qualified} as select * from build.{qualified}")
                    changes[qualified], parts[qualified] = ("new" if incremental else "copied"), ALL
                tables[qualified] = con.execute(f"select count(*) from {qualified}").fetchone()[0]
            for qualified in sorted(served - set(found) - {PUBLISHED}):
                con.execute(f"drop table {qualified}")
                changes[qualified] = "dropped"
            con.execute(
                f"create or replace table {PUBLISHED} as "
                "select ?::date as ds, ?::varchar as run_id, now() as published_at",
                [ds, run_id],
            )
            con.execute("commit")
            con.execute("detach build")
            con.execute("checkpoint")
        finally:
            con.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, serving_db)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)

    if exports_dir is not None:
        _export_changed(serving_db, exports_dir, changes, parts, memory_limit=memory_limit)
    return PublishReport(serving_db, tables, changes)


def republish(
    serving_db: Path,
    *,
    build_db: Path | None = None,
    tables: Iterable[str] = (),
    edit: Callable[[duckdb.DuckDBPyConnection], Iterable[str]] | None = None,
    exports_dir: Path | None = None,
    memory_limit: str | None = None,
) -> PublishReport:
    """A new serving database: the current one, with `tables` (``marts.<name>``) taken
    from `build_db` and then `edit` applied; renamed over the old one atomically.

    Tables of `tables` missing from the build database are skipped (and absent from the
    report): the veille publishes what exists. `edit(con)` runs in the same
    transaction on the new copy (catalog of the copy: the default one) and returns the
    names of the tables it changed. Only the replaced and edited tables are exported.
    The marts the build DAG audited are copied as they are, so nothing unaudited from
    the build database is published by this path.
    """
    wanted = sorted(set(tables))
    for name in wanted:
        if name.split(".", 1)[0] not in SERVED_SCHEMAS or name.count(".") != 1:
            raise ValueError(f"{name}: only tables of schemas {SERVED_SCHEMAS} are published")
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    _sweep_temps(serving_db)
    tmp = _temp_name(serving_db)
    report: dict[str, int] = {}
    changes: dict[str, str] = {}
    parts: dict[str, Changed] = {}
    try:
        copied = _start_from_served(serving_db, tmp, compact=False)
        con = _connect(tmp, memory_limit)
        try:
            here = con.execute("select current_database()").fetchone()[0]
            attached: list[str] = []
            if not copied and serving_db.exists():
                # a served file that could not be copied as it is: attach it, copy its tables
                con.execute(f"attach '{_quote(serving_db)}' as served (read_only)")
                attached.append("served")
            built: set[str] = set()
            if wanted:
                if build_db is None or not build_db.exists():
                    raise FileNotFoundError(f"{build_db}: build database missing; nothing to republish from")
                con.execute(f"attach '{_quote(build_db)}' as build (read_only)")
                attached.append("build")
                built = set(_tables(con, "build"))
            con.execute("begin transaction")
            for schema in SERVED_SCHEMAS:
                con.execute(f"create schema if not exists {schema}")
            if "served" in attached:
                for qualified in _tables(con, "served"):
                    con.execute(f"create table {qualified} as select * from served.{qualified}")
            served = set(_tables(con, here))
            for qualified in wanted:
                if qualified not in built:
                    continue
                if qualified in served:
                    changes[qualified], parts[qualified] = _sync(con, here, qualified, "build")
                else:
                    con.execute(f"create table {qualified} as select * from build.{qualified}")
                    changes[qualified], parts[qualified] = "new", ALL
                report[qualified] = con.execute(f"select count(*) from {qualified}").fetchone()[0]
            for qualified in edit(con) if edit else ():
                changes[qualified], parts[qualified] = "edited", ALL
                report[qualified] = con.execute(f"select count(*) from {qualified}").fetchone()[0]
            con.execute("commit")
            for catalog in attached:
                con.execute(f"detach {catalog}")
            con.execute("checkpoint")
        finally:
            con.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, serving_db)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)

    if exports_dir is not None:
        _export_changed(serving_db, exports_dir, changes, parts, memory_limit=memory_limit)
    return PublishReport(serving_db, report, changes)


UNDATED = "undated"


def export_folder(exports_dir: Path, qualified: str) -> Path:
    """Where a mart is exported: a folder of Parquet files, `month=YYYY-MM/data_0.parquet`
    (by the month of its partition key, `month=undated` for rows without one) or a single
    `data_0.parquet` for a mart without a date."""
    return exports_dir / qualified.split(".")[-1]


def _export_changed(
    serving_db: Path,
    exports_dir: Path,
    changes: dict[str, str],
    parts: dict[str, Changed],
    *,
    memory_limit: str | None = None,
) -> None:
    """Export the tables that changed (the months of the partitions changed) or have no
    export yet; remove the exports of dropped tables."""
    stale: dict[str, Changed] = {}
    for qualified, change in changes.items():
        folder = export_folder(exports_dir, qualified)
        if change == "dropped":
            shutil.rmtree(folder, ignore_errors=True)
            _export_legacy(exports_dir, qualified).unlink(missing_ok=True)
        elif not folder.is_dir():
            stale[qualified] = ALL
        elif change != "unchanged":
            stale[qualified] = parts.get(qualified, ALL)
    export_parquet(serving_db, exports_dir, stale, memory_limit=memory_limit)


def _export_legacy(exports_dir: Path, qualified: str) -> Path:
    """Where versions before the monthly folders exported a mart (one file), removed on its next export."""
    return exports_dir / f"{qualified.split('.')[-1]}.parquet"


def _month(key: date | None) -> str:
    return UNDATED if key is None else f"{key:%Y-%m}"


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def export_parquet(
    serving_db: Path,
    exports_dir: Path,
    tables: dict[str, Changed] | Iterable[str],
    *,
    memory_limit: str | None = None,
) -> None:
    """Write the Parquet exports of `tables` (name -> partitions changed, ALL for every
    one; a plain list: every partition): only the months of the partitions changed are
    written again, each month's file replaced atomically."""
    if not isinstance(tables, dict):
        tables = dict.fromkeys(tables, ALL)
    exports_dir.mkdir(parents=True, exist_ok=True)
    config = {"memory_limit": memory_limit} if memory_limit else {}
    con = duckdb.connect(str(serving_db), read_only=True, config=config)
    try:
        # rows in any order (a table has none): DuckDB then streams each COPY
        con.execute("set preserve_insertion_order = false")
        here = con.execute("select current_database()").fetchone()[0]
        for qualified, changed in tables.items():
            folder = export_folder(exports_dir, qualified)
            key = partition_key(_columns(con, here, qualified))
            if key is None:
                _export_whole(con, qualified, folder)
            else:
                months = None if changed is ALL else {_month(k) for k in changed}
                _export_months(con, qualified, key, folder, months)
            _export_legacy(exports_dir, qualified).unlink(missing_ok=True)
    finally:
        con.close()


def _copy(con: duckdb.DuckDBPyConnection, query: str, final: Path) -> None:
    """COPY `query` to the Parquet file `final`, written under a temporary name and renamed."""
    final.parent.mkdir(parents=True, exist_ok=True)
    _sweep_temps(final)
    tmp = _temp_name(final)
    try:
        con.execute(f"copy ({query}) to '{_quote(tmp)}' (format parquet, compression zstd)")
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def _export_whole(con: duckdb.DuckDBPyConnection, qualified: str, folder: Path) -> None:
    final = folder / "data_0.parquet"
    _copy(con, f"select * from {qualified}", final)
    for other in folder.iterdir():
        if other != final:
            shutil.rmtree(other) if other.is_dir() else other.unlink()


def _export_months(
    con: duckdb.DuckDBPyConnection, qualified: str, key: PartitionKey, folder: Path, months: set[str] | None
) -> None:
    """Export the rows of each month of `months` (None: every month of the table) to
    `folder/month=<m>/data_0.parquet`, one COPY per month bounded on the key's column
    (DuckDB skips the row groups of other months); months left without rows lose their
    folder, and so does any month not in the table when every month is exported."""
    present = {
        r[0]
        for r in con.execute(
            f"select distinct coalesce(strftime({key.expr}, '%Y-%m'), '{UNDATED}') from {qualified}"
            + ("" if months is None else f" where {_ident(key.column)} is null or {key.within(_first_day(months), date.max)}")
        ).fetchall()
    }
    wanted = present if months is None else months & present
    folder.mkdir(parents=True, exist_ok=True)
    for month in sorted(wanted):
        if month == UNDATED:
            where = f"{_ident(key.column)} is null"
        else:
            first = date.fromisoformat(f"{month}-01")
            where = key.within(first, _next_month(first))
        _copy(con, f"select * from {qualified} where {where}", folder / f"month={month}" / "data_0.parquet")
    for other in folder.iterdir():
        stale = other.name not in {f"month={m}" for m in wanted} and (
            months is None or other.name in {f"month={m}" for m in months} or not other.name.startswith("month=")
        )
        if stale:
            shutil.rmtree(other) if other.is_dir() else other.unlink()
    if not any(folder.iterdir()):
        # no rows at all: one empty file keeps the columns for readers
        _export_whole(con, qualified, folder)


def _first_day(months: set[str]) -> date:
    dated = sorted(m for m in months if m != UNDATED)
    return date.fromisoformat(f"{dated[0]}-01") if dated else date.max
