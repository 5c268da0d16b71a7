"""Builders of real DuckDB build files for the audit tests: raw partitions and marts built with pandas.

Raw tables get exactly the landing schema plus `_landing_file` and `_loaded_at`, as
the loader writes them; marts get the types of their dbt contracts. Every builder
returns data that passes its suite, so a test corrupts exactly one thing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from socialpulse.landing_schemas import schema_for
from socialpulse.quality import AuditTarget

CONTEXT_ROOT = Path(__file__).resolve().parents[2] / "expectations"
DS = date(2026, 11, 19)
ACCOUNTS = {"region_main": "112233445566001", "region_transports": "112233445566002"}
RAW_ENTITIES = ("page_snapshots", "page_insights", "posts", "post_insights", "comments")
UTC = "UTC"


def ts(day: date, hour: int = 0, minute: int = 0) -> pd.Timestamp:
    return pd.Timestamp(datetime(day.year, day.month, day.day, hour, minute), tz=UTC)


# ------------------------------------------------------------------------ raw rows
def _lineage(entity: str, key: str, ds: date) -> dict:
    return {
        "_account_key": key,
        "_ds": ds,
        "_run_id": f"scheduled__{ds.isoformat()}T06:00:00+00:00",
        "_extracted_at": ts(ds + timedelta(days=1), 6),
        "_source": "api",
        "_landing_file": f"platform=facebook/entity={entity}/ds={ds.isoformat()}/account={key}.parquet",
        "_loaded_at": ts(ds + timedelta(days=1), 6, 5),
    }


def _posts_of(page_id: str, ds: date) -> list[tuple[str, pd.Timestamp]]:
    return [(f"{page_id}_{n}", ts(ds - timedelta(days=n), 9 + n)) for n in range(3)]


def _page_snapshots(key: str, page_id: str, ds: date) -> list[dict]:
    return [
        {
            "page_id": page_id,
            "name": f"Page {key}",
            "link": f"https://facebook.example/{page_id}",
            "category": "Government organization",
            "followers_count": 12000,
            "fan_count": 11000,
            "fetched_at": ts(ds + timedelta(days=1), 6),
        }
    ]


def _page_insights(key: str, page_id: str, ds: date) -> list[dict]:
    rows = []
    for back in range(3):  # the lookback window re-reads the last days
        end_time = ts(ds - timedelta(days=back) + timedelta(days=1), 8)
        for metric, breakdown, bvalue, value in (
            ("page_follows", "", "", 12000 - back),
            ("page_daily_follows_unique", "", "", 14),
            ("page_media_view", "", "", 5000),
            ("page_media_view", "is_from_ads", "true", 1200),
            ("page_media_view", "is_from_ads", "false", 3800),
        ):
            rows.append(
                {
                    "page_id": page_id,
                    "metric": metric,
                    "period": "day",
                    "end_time": end_time,
                    "breakdown": breakdown,
                    "breakdown_value": bvalue,
                    "value": value,
                }
            )
    return rows


def _posts(key: str, page_id: str, ds: date) -> list[dict]:
    return [
        {
            "post_id": post_id,
            "page_id": page_id,
            "message": f"Post {post_id}",
            "created_time": created,
            "permalink_url": f"https://facebook.example/{post_id}",
            "status_type": "added_photos",
            "shares_count": 3,
            "comments_total_count": 2,
            "fetched_at": ts(ds + timedelta(days=1), 6),
        }
        for post_id, created in _posts_of(page_id, ds)
    ]


def _post_insights(key: str, page_id: str, ds: date) -> list[dict]:
    rows = []
    for post_id, _ in _posts_of(page_id, ds):
        for metric, breakdown, bvalue, value in (
            ("post_media_view", "", "", 900),
            ("post_media_view", "is_from_ads", "true", 100),
            ("post_media_view", "is_from_ads", "false", 800),
            ("post_total_media_view_unique", "", "", 700),
            ("post_reactions_by_type_total", "type", "like", 40),
            ("post_reactions_by_type_total", "type", "love", 5),
            ("post_clicks", "", "", 12),
        ):
            rows.append(
                {
                    "post_id": post_id,
                    "page_id": page_id,
                    "metric": metric,
                    "period": "lifetime",
                    "breakdown": breakdown,
                    "breakdown_value": bvalue,
                    "value": value,
                    "fetched_at": ts(ds + timedelta(days=1), 6),
                }
            )
    return rows


def _comments(key: str, page_id: str, ds: date) -> list[dict]:
    rows = []
    for post_id, created in _posts_of(page_id, ds):
        for n in range(2):
            rows.append(
                {
                    "comment_id": f"{post_id}_{n}",
                    "post_id": post_id,
                    "page_id": page_id,
                    "parent_comment_id": None if n == 0 else f"{post_id}_0",
                    "created_time": created + timedelta(hours=1 + n),
                    "message": "Merci !",
                    "author_pseudo_id": hashlib.sha256(f"{post_id}/{n}".encode()).hexdigest()[:32],
                    "is_from_page": n == 1,
                    "like_count": n,
                    "permalink_url": None,
                    "fetched_at": ts(ds + timedelta(days=1), 6),
                }
            )
    return rows


ROW_BUILDERS: Mapping[str, Callable[[str, str, date], list[dict]]] = {
    "page_snapshots": _page_snapshots,
    "page_insights": _page_insights,
    "posts": _posts,
    "post_insights": _post_insights,
    "comments": _comments,
}


def raw_schema(entity: str) -> pa.Schema:
    """The raw table's columns: the landing contract plus what the loader adds."""
    return (
        schema_for("facebook", entity)
        .append(pa.field("_landing_file", pa.string()))
        .append(pa.field("_loaded_at", pa.timestamp("us", tz=UTC)))
    )


def raw_frame(entity: str, ds: date = DS, accounts: Mapping[str, str] = ACCOUNTS) -> pd.DataFrame:
    rows = [
        {**row, **_lineage(entity, key, ds)}
        for key, page_id in accounts.items()
        for row in ROW_BUILDERS[entity](key, page_id, ds)
    ]
    return pd.DataFrame(rows, columns=raw_schema(entity).names)


def raw_table(entity: str, frame: pd.DataFrame) -> pa.Table:
    # Nullable, like the loader's `create table as select`: tests must be able to store a null key.
    schema = pa.schema([pa.field(f.name, f.type) for f in raw_schema(entity) if f.name in frame.columns])
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


# ------------------------------------------------------------------------ marts
MART_TYPES: dict[str, dict[str, str]] = {
    "dim_accounts": {
        "account_id": "varchar",
        "platform": "varchar",
        "platform_account_id": "varchar",
        "account_key": "varchar",
        "account_name": "varchar",
        "account_url": "varchar",
        "category": "varchar",
        "first_report_date": "date",
        "last_report_date": "date",
    },
    "dim_posts": {
        "post_id": "varchar",
        "platform_post_id": "varchar",
        "account_id": "varchar",
        "platform": "varchar",
        "published_at": "timestamptz",
        "published_date": "date",
        "message": "varchar",
        "permalink_url": "varchar",
        "format": "varchar",
        "status_type": "varchar",
    },
    "fct_post_engagement": {
        "post_id": "varchar",
        "account_id": "varchar",
        "platform": "varchar",
        "published_date": "date",
        "format": "varchar",
        "snapshot_date": "date",
        "views": "bigint",
        "views_paid": "bigint",
        "views_organic": "bigint",
        "reach": "bigint",
        "reactions": "bigint",
        "comments": "bigint",
        "shares": "bigint",
        "clicks": "bigint",
        "engagements": "bigint",
        "engagement_rate": "double",
        "is_paid": "boolean",
        "account_followers": "bigint",
        "engagement_rate_by_views": "double",
        "engagement_rate_by_followers": "double",
        "amplification_rate": "double",
        "conversation_rate": "double",
        "share_of_paid_views": "double",
    },
    "fct_account_daily": {
        "account_id": "varchar",
        "platform": "varchar",
        "report_date": "date",
        "followers": "bigint",
        "follows": "bigint",
        "unfollows": "bigint",
        "net_follows": "bigint",
        "views": "bigint",
        "views_paid": "bigint",
        "views_organic": "bigint",
        "reach": "bigint",
        "post_engagements": "bigint",
        "page_views": "bigint",
        "posts_published": "bigint",
        "follower_growth": "bigint",
        "follower_growth_rate": "double",
        "engagement_rate": "double",
        "engagement_rate_by_views": "double",
        "engagement_rate_by_followers": "double",
        "share_of_paid_views": "double",
    },
}


def mart_frame(model: str, ds: date = DS, days: int = 3) -> pd.DataFrame:
    accounts = [(f"facebook:{pid}", pid, key) for key, pid in ACCOUNTS.items()]
    posts = [(f"facebook:{p}", p, acc) for acc, pid, _ in accounts for p, _ in _posts_of(pid, ds)]
    if model == "dim_accounts":
        rows = [
            {
                "account_id": acc,
                "platform": "facebook",
                "platform_account_id": pid,
                "account_key": key,
                "account_name": f"Page {key}",
                "account_url": None,
                "category": None,
                "first_report_date": ds - timedelta(days=days - 1),
                "last_report_date": ds,
            }
            for acc, pid, key in accounts
        ]
    elif model == "dim_posts":
        rows = [
            {
                "post_id": post,
                "platform_post_id": ppid,
                "account_id": acc,
                "platform": "facebook",
                "published_at": ts(ds, 22, 30),
                "published_date": ds + timedelta(days=1),  # Paris is ahead
                "message": None,
                "permalink_url": None,
                "format": "photo",
                "status_type": "added_photos",
            }
            for post, ppid, acc in posts
        ]
    elif model == "fct_post_engagement":
        rows = [
            {
                "post_id": post,
                "account_id": acc,
                "platform": "facebook",
                "published_date": ds,
                "format": "photo",
                "snapshot_date": ds,
                "views": 900,
                "views_paid": 100,
                "views_organic": 800,
                "reach": 700,
                "reactions": 45,
                "comments": 2,
                "shares": 3,
                "clicks": None,
                "engagements": 50,
                "engagement_rate": 50 / 700,
                "is_paid": True,
                "account_followers": 12000,
                "engagement_rate_by_views": 50 / 900,
                "engagement_rate_by_followers": 50 / 12000,
                "amplification_rate": 3 / 12000,
                "conversation_rate": 2 / 12000,
                "share_of_paid_views": 100 / 900,
            }
            for post, _, acc in posts
        ]
    else:
        rows = [
            {
                "account_id": acc,
                "platform": "facebook",
                "report_date": ds - timedelta(days=d),
                "followers": 12000,
                "follows": 14,
                "unfollows": 20,
                "net_follows": -6,
                "views": 5000,
                "views_paid": 1200,
                "views_organic": 3800,
                "reach": None,
                "post_engagements": 80,
                "page_views": None,
                "posts_published": 1,
                "follower_growth": -6,
                "follower_growth_rate": -6 / 12006,
                "engagement_rate": None,
                "engagement_rate_by_views": 80 / 5000,
                "engagement_rate_by_followers": 80 / 12000,
                "share_of_paid_views": 1200 / 5000,
            }
            for acc, _, _ in accounts
            for d in range(days)
        ]
    return pd.DataFrame(rows, columns=list(MART_TYPES[model]))


# ------------------------------------------------------------------------ DuckDB files
def write_raw(db_path: Path, frames: Mapping[str, pd.DataFrame]) -> Path:
    """Create `raw.facebook__<entity>` tables (replacing them) from entity frames."""
    with duckdb.connect(str(db_path)) as con:
        con.execute("create schema if not exists raw")
        for entity, frame in frames.items():
            con.register("incoming", raw_table(entity, frame))
            con.execute(f"create or replace table raw.facebook__{entity} as select * from incoming")
            con.unregister("incoming")
    return db_path


def write_marts(db_path: Path, frames: Mapping[str, pd.DataFrame]) -> Path:
    """Create `marts.<model>` tables with their contract types, then insert the frames."""
    with duckdb.connect(str(db_path)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema if not exists marts")
        for model, frame in frames.items():
            types = {c: t for c, t in MART_TYPES[model].items() if c in frame.columns}
            columns = ", ".join(f"{c} {t}" for c, t in types.items())
            con.execute(f"create or replace table marts.{model} ({columns})")
            con.register("incoming", frame)
            con.execute(f"insert into marts.{model} by name select * from incoming")
            con.unregister("incoming")
    return db_path


def raw_target(entity: str, ds: date = DS) -> AuditTarget:
    return AuditTarget(
        table=f"raw.facebook__{entity}",
        suite=f"raw.facebook__{entity}",
        where=f"_ds = '{ds.isoformat()}'",
        partition_label=f"ds={ds.isoformat()}",
    )


def mart_target(model: str, ds: date = DS) -> AuditTarget:
    return AuditTarget(
        table=f"marts.{model}",
        suite=f"marts.{model}",
        where=None,
        partition_label=f"as of {ds.isoformat()}",
        as_of=ds.isoformat(),
    )


def build_good(db: Path) -> Path:
    """A build file with every raw entity (two partitions) and every mart, all valid."""
    frames = {e: pd.concat([raw_frame(e, DS - timedelta(days=1)), raw_frame(e)]) for e in RAW_ENTITIES}
    write_raw(db, frames)
    return write_marts(db, {m: mart_frame(m) for m in MART_TYPES})
