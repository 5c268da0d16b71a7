"""Retention of comment texts: what people wrote is kept 13 months (396 days), then erased.

A comment's text is personal data; its existence is not. Past the retention
(`SOCIALPULSE_COMMENT_RETENTION_DAYS`, counted from the comment's creation up to the
maintenance run's logical date, never from the clock) the text becomes NULL
everywhere it lives, while the row stays: counts, response times, topics already
computed and pseudonymous authors remain, so history still adds up.

Where texts live, and how each is purged (each step is idempotent: a second run finds
nothing left and writes nothing):

1. landing (`purge_landing`): every comment file (daily and hourly) with an expired
   text is rewritten atomically with that text NULL, same schema and lineage;
2. the build database (`purge_build`): the raw comment tables likewise, then every
   table outside `raw` with a `comment_id` column (the comment marts) on its text
   columns (`message`, `text`, `*message*`, `*_text`, …) for the expired comments;
   `raw._load_log` learns the rewritten files' new size and mtime, so the next load
   does not take them for new data;
3. the serving database (`purge_serving`): the same comment marts, through
   `publish.republish` (a new copy renamed over the old one; readers never see a
   half-purged file), which also rewrites their Parquet exports.

Staging and intermediate models are views over raw: they follow by themselves. The
one intermediate table, `int_comment_labels`, holds no text: it keeps the labels
computed while each text existed (question, topics, abuse), so that a rebuild after
the purge does not recompute them from NULL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from socialpulse.landing import list_partitions, write_tables

log = logging.getLogger(__name__)

# (platform, landing entity) -> (text column, creation time column) of each comment entity.
COMMENT_TEXTS: dict[tuple[str, str], tuple[str, str]] = {
    ("facebook", "comments"): ("message", "created_time"),
    ("instagram", "comments"): ("text", "created_time"),
    ("linkedin", "comments"): ("message", "created_at"),
    ("x", "replies"): ("text", "created_at"),
    ("bluesky", "comments"): ("text", "created_at"),
    ("mastodon", "comments"): ("text", "created_at"),
}
# Text columns of the comment marts, by name (a mart column holding a comment's words).
TEXT_NAMES = {"message", "text", "body", "content", "excerpt", "snippet"}
# Schemas whose tables are not comment marts: raw is purged by COMMENT_TEXTS, ops holds no text.
NOT_MARTS = ("raw", "ops", "information_schema", "pg_catalog")
EXPIRED_IDS = "_expired_comment_ids"


def cutoff(as_of: datetime, retention_days: int) -> datetime:
    """Comments created before this instant have expired texts."""
    if retention_days <= 0:
        raise ValueError(f"retention of {retention_days} days: expected a positive number of days")
    m = as_of.astimezone(UTC)  # a plain datetime: pendulum's arithmetic drops a stdlib zone
    return datetime(m.year, m.month, m.day, m.hour, m.minute, m.second, m.microsecond, tzinfo=UTC) - timedelta(
        days=retention_days
    )


def is_text_column(name: str, data_type: str) -> bool:
    name = name.lower()
    if data_type.upper() != "VARCHAR" or name.endswith(("_id", "_url", "_key", "_at", "_date")):
        return False
    return name in TEXT_NAMES or "message" in name or name.endswith("_text") or name.startswith("text_")


@dataclass
class LandingPurge:
    files_checked: int = 0
    texts_purged: int = 0
    rewritten: list[dict] = field(default_factory=list)  # {file, old: [size, mtime_ns], new: [...]}

    def as_dict(self) -> dict:
        return {
            "files_checked": self.files_checked,
            "files_rewritten": len(self.rewritten),
            "texts_purged": self.texts_purged,
            "rewritten": self.rewritten,
        }


def purge_landing(landing_dir: Path, before: datetime) -> LandingPurge:
    """Rewrite every comment landing file that still holds a text created before `before`."""
    report = LandingPurge()
    limit = pa.scalar(before.astimezone(UTC), type=pa.timestamp("us", tz="UTC"))
    for part, path in list_partitions(landing_dir, hourly=None):
        columns = COMMENT_TEXTS.get((part.platform, part.entity))
        if columns is None:
            continue
        report.files_checked += 1
        text_col, time_col = columns
        table = pq.read_table(path)
        expired = pc.and_(pc.less(table[time_col], limit), pc.is_valid(table[text_col]))
        n = pc.sum(expired).as_py() or 0
        if not n:
            continue
        old = path.stat()
        index = table.schema.get_field_index(text_col)
        text = table[text_col]
        purged = pc.if_else(expired, pa.scalar(None, type=text.type), text)
        write_tables(landing_dir, {part: table.set_column(index, table.schema.field(index), purged)})
        new = path.stat()
        rel = path.relative_to(landing_dir).as_posix()
        report.rewritten.append(
            {"file": rel, "old": [old.st_size, old.st_mtime_ns], "new": [new.st_size, new.st_mtime_ns]}
        )
        report.texts_purged += n
        log.info("%s: %d expired comment texts erased", rel, n)
    return report


def _tables_with_comment_ids(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[str]]:
    """Comment marts of a catalog: base tables outside raw/ops with a `comment_id`, and their text columns."""
    rows = con.execute(
        """
        select c.table_schema, c.table_name, c.column_name, c.data_type
        from information_schema.columns as c
        inner join information_schema.tables as t
            on t.table_catalog = c.table_catalog and t.table_schema = c.table_schema
            and t.table_name = c.table_name
        where c.table_catalog = ? and t.table_type = 'BASE TABLE'
        order by c.table_schema, c.table_name, c.ordinal_position
        """,
        [catalog],
    ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        if schema not in NOT_MARTS and not table.startswith("_"):
            columns.setdefault(f"{schema}.{table}", []).append((column, data_type))
    return {
        table: [c for c, t in cols if is_text_column(c, t)]
        for table, cols in columns.items()
        if any(c == "comment_id" for c, _ in cols)
    }


def _scrub_marts(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, int]:
    """NULL the text columns of the comment marts for the comments listed in EXPIRED_IDS."""
    purged: dict[str, int] = {}
    for table, text_columns in sorted(_tables_with_comment_ids(con, catalog).items()):
        if not text_columns:
            continue
        has_text = " or ".join(f"{c} is not null" for c in text_columns)
        nulls = ", ".join(f"{c} = null" for c in text_columns)
        n = con.execute(
            f'update "{catalog}".{table} set {nulls} '
            f"where comment_id in (select comment_id from {EXPIRED_IDS}) and ({has_text})"
        ).fetchall()[0][0]
        if n:
            purged[table] = n
    return purged


TREND_COUNTS = "intermediate.int_topic_trend_observed"
PARIS_DAY = "timezone('Europe/Paris', date_trunc('day', timezone('Europe/Paris', {})))"


def _forget_trend_days(con: duckdb.DuckDBPyConnection, existing: set[str]) -> int:
    """Delete the topic-trend counts of the Paris days whose public comments are about to
    lose their texts (their hashtags go with them): the next dbt build counts those days
    again, as it counts every day without a row (int_topic_trend_observed)."""
    if TREND_COUNTS not in existing or "intermediate.int_comments_unioned" not in existing:
        return 0
    return con.execute(
        f"""
        delete from {TREND_COUNTS}
        where {PARIS_DAY.format("bucket_start")} in (
            select distinct {PARIS_DAY.format("created_at")}
            from intermediate.int_comments_unioned
            where comment_id in (select comment_id from {EXPIRED_IDS})
                and message is not null
                and not is_by_account
        )
        """
    ).fetchall()[0][0]


def expired_comment_ids(build_db: Path, before: datetime) -> list[str]:
    """Warehouse ids of the comments created before `before`, from the unified comments view."""
    if not build_db.exists():
        return []
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        con.execute("set timezone = 'UTC'")
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'intermediate' and table_name = 'int_comments_unioned'"
        ).fetchall()[0][0]
        if not exists:
            return []
        return [
            r[0]
            for r in con.execute(
                "select distinct comment_id from intermediate.int_comments_unioned where created_at < ?",
                [before],
            ).fetchall()
        ]
    finally:
        con.close()


def _register_ids(con: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    con.register(EXPIRED_IDS, pa.table({"comment_id": pa.array(ids, type=pa.string())}))


def purge_build(build_db: Path, before: datetime, rewritten: list[dict] | None = None) -> dict[str, int]:
    """Expired texts out of the build database: raw comment tables, then the comment marts."""
    if not build_db.exists():
        return {}
    ids = expired_comment_ids(build_db, before)  # before raw changes: the view still lists every comment
    purged: dict[str, int] = {}
    con = duckdb.connect(str(build_db))
    try:
        con.execute("set timezone = 'UTC'")
        catalog = con.execute("select current_database()").fetchall()[0][0]
        existing = {
            f"{r[0]}.{r[1]}"
            for r in con.execute(
                "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
            ).fetchall()
        }
        _register_ids(con, ids)
        con.execute("begin transaction")
        try:
            for (platform, entity), (text_col, time_col) in sorted(COMMENT_TEXTS.items()):
                table = f"raw.{platform}__{entity}"
                if table not in existing:
                    continue
                n = con.execute(
                    f"update {table} set {text_col} = null where {time_col} < ? and {text_col} is not null", [before]
                ).fetchall()[0][0]
                if n:
                    purged[table] = n
            forgotten = _forget_trend_days(con, existing)
            purged.update(_scrub_marts(con, catalog))
            if "raw._load_log" in existing:
                for f in rewritten or []:
                    con.execute(
                        "update raw._load_log set file_size = ?, file_mtime_ns = ? "
                        "where landing_file = ? and file_size = ? and file_mtime_ns = ?",
                        [*f["new"], f["file"], *f["old"]],
                    )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    finally:
        con.close()
    for table, n in purged.items():
        log.info("%s: %d expired comment texts erased", table, n)
    if forgotten:
        log.info("%s: %d counts of the days losing texts deleted (the next build recounts)", TREND_COUNTS, forgotten)
    return purged


def purge_serving(
    serving_db: Path, build_db: Path, before: datetime, exports_dir: Path | None = None
) -> dict[str, int]:
    """Expired texts out of the serving database (and its exports), by an atomic republish.

    Nothing is rewritten when no expired text is left (the idempotent, usual case).
    """
    if not serving_db.exists():
        return {}
    ids = expired_comment_ids(build_db, before)
    if not ids:
        return {}
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        catalog = con.execute("select current_database()").fetchall()[0][0]
        _register_ids(con, ids)
        todo = {
            table: cols
            for table, cols in _tables_with_comment_ids(con, catalog).items()
            if cols
            and con.execute(
                f"select count(*) from {table} where comment_id in (select comment_id from {EXPIRED_IDS}) and ("
                + " or ".join(f"{c} is not null" for c in cols)
                + ")"
            ).fetchall()[0][0]
        }
    finally:
        con.close()
    if not todo:
        return {}

    from socialpulse.publish import republish

    purged: dict[str, int] = {}

    def edit(copy: duckdb.DuckDBPyConnection) -> list[str]:
        _register_ids(copy, ids)
        purged.update(_scrub_marts(copy, copy.execute("select current_database()").fetchall()[0][0]))
        return sorted(purged)

    republish(serving_db, edit=edit, exports_dir=exports_dir)
    for table, n in purged.items():
        log.info("serving %s: %d expired comment texts erased", table, n)
    return purged


def landed_texts_before(landing_dir: Path, before: datetime) -> int:
    """How many comment texts created before `before` landing still holds (0 after a purge)."""
    limit = pa.scalar(before.astimezone(UTC), type=pa.timestamp("us", tz="UTC"))
    total = 0
    for part, path in list_partitions(landing_dir, hourly=None):
        columns = COMMENT_TEXTS.get((part.platform, part.entity))
        if columns:
            table = pq.read_table(path, columns=list(columns))
            total += pc.sum(pc.and_(pc.less(table[columns[1]], limit), pc.is_valid(table[columns[0]]))).as_py() or 0
    return total
