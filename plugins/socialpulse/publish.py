"""Publish: write-audit-publish's last step.

The serving database (`warehouse.duckdb`) holds the marts only. It is built under a
temporary name next to its final place and renamed over it in one atomic step, so
BI tools and analysts (who open it read-only) see yesterday's complete warehouse or
today's, never a mix; a failed build or audit never reaches this function, and the
previous file stays. Parquet exports of the marts are replaced the same way.

`republish` replaces only some tables, keeping every other one exactly as it was
published: the hourly veille publishes the comment marts it rebuilt (the others stay
as the last audited daily build left them), and the retention purge rewrites the
serving copy without its expired comment texts. Same atomic rename, same exports.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

SERVED_SCHEMAS = ("marts",)


@dataclass
class PublishReport:
    serving_db: Path
    tables: dict[str, int]

    def summary(self) -> str:
        rows = ", ".join(f"{t}={n}" for t, n in sorted(self.tables.items()))
        return f"published {self.serving_db.name}: {rows}"


def _quote(path: Path) -> str:
    return path.as_posix().replace("'", "''")


def _temp_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")


def _sweep_temps(final: Path) -> None:
    """Remove what a publish killed before its rename left beside `final` (its temp
    file and the temp's WAL). Every publisher runs in the single writer pool, so no
    other publish is writing one now; a leftover would otherwise stay forever."""
    stale = re.compile(rf"\.{re.escape(final.name)}\.[0-9a-f]{{32}}\.tmp(\.wal)?")
    if final.parent.is_dir():
        for path in final.parent.iterdir():
            if stale.fullmatch(path.name):
                path.unlink(missing_ok=True)


def publish(
    build_db: Path, serving_db: Path, *, ds: date, run_id: str, exports_dir: Path | None = None
) -> PublishReport:
    if not build_db.exists():
        raise FileNotFoundError(f"{build_db}: build database missing; run load and dbt first")
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    _sweep_temps(serving_db)
    tmp = _temp_name(serving_db)
    tables: dict[str, int] = {}
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(f"attach '{_quote(build_db)}' as build (read_only)")
            found = con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = 'build' and table_type = 'BASE TABLE' and table_schema in "
                f"({', '.join(repr(s) for s in SERVED_SCHEMAS)}) order by 1, 2"
            ).fetchall()
            if not found:
                raise RuntimeError(f"{build_db}: no tables in schemas {SERVED_SCHEMAS}; nothing to publish")
            con.execute("begin transaction")
            for schema, name in found:
                con.execute(f"create schema if not exists {schema}")
                con.execute(f"create table {schema}.{name} as select * from build.{schema}.{name}")
                tables[f"{schema}.{name}"] = con.execute(f"select count(*) from {schema}.{name}").fetchone()[0]
            con.execute(
                "create table marts._published as select ?::date as ds, ?::varchar as run_id, now() as published_at",
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
        export_parquet(serving_db, exports_dir, tables)
    return PublishReport(serving_db, tables)


def republish(
    serving_db: Path,
    *,
    build_db: Path | None = None,
    tables: Iterable[str] = (),
    edit: Callable[[duckdb.DuckDBPyConnection], Iterable[str]] | None = None,
    exports_dir: Path | None = None,
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
    try:
        con = duckdb.connect(str(tmp))
        try:
            schemas = ", ".join(repr(s) for s in SERVED_SCHEMAS)
            served: list[tuple[str, str]] = []
            attached: list[str] = []
            if serving_db.exists():
                con.execute(f"attach '{_quote(serving_db)}' as served (read_only)")
                attached.append("served")
                served = con.execute(
                    "select table_schema, table_name from information_schema.tables where table_catalog = 'served' "
                    f"and table_type = 'BASE TABLE' and table_schema in ({schemas}) order by 1, 2"
                ).fetchall()
            built: set[str] = set()
            if wanted:
                if build_db is None or not build_db.exists():
                    raise FileNotFoundError(f"{build_db}: build database missing; nothing to republish from")
                con.execute(f"attach '{_quote(build_db)}' as build (read_only)")
                attached.append("build")
                built = {
                    f"{r[0]}.{r[1]}"
                    for r in con.execute(
                        "select table_schema, table_name from information_schema.tables where table_catalog = 'build' "
                        f"and table_type = 'BASE TABLE' and table_schema in ({schemas})"
                    ).fetchall()
                }
            con.execute("begin transaction")
            for schema in SERVED_SCHEMAS:
                con.execute(f"create schema if not exists {schema}")
            replaced = set(wanted) & built
            for schema, name in served:
                if f"{schema}.{name}" not in replaced:
                    con.execute(f"create table {schema}.{name} as select * from served.{schema}.{name}")
            for qualified in wanted:
                if qualified in replaced:
                    con.execute(f"create table {qualified} as select * from build.{qualified}")
                    report[qualified] = con.execute(f"select count(*) from {qualified}").fetchall()[0][0]
            for qualified in edit(con) if edit else ():
                report[qualified] = con.execute(f"select count(*) from {qualified}").fetchall()[0][0]
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

    if exports_dir is not None and report:
        export_parquet(serving_db, exports_dir, report)
    return PublishReport(serving_db, report)


def export_parquet(serving_db: Path, exports_dir: Path, tables: dict[str, int]) -> None:
    exports_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        for qualified in tables:
            final = exports_dir / f"{qualified.split('.')[-1]}.parquet"
            _sweep_temps(final)
            tmp = _temp_name(final)
            try:
                con.execute(f"copy (select * from {qualified}) to '{_quote(tmp)}' (format parquet, compression zstd)")
                os.replace(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)
    finally:
        con.close()
