"""Landing contracts: the Arrow schema of every (platform, entity) written to landing/.

Landing files are the boundary between extraction and the warehouse: connectors
write exactly these columns (nothing else), the loader creates `raw.<platform>__<entity>`
from them, and dbt sources describe the same columns. Changing a schema here is a
contract change: update the dbt sources and the GX raw suites with it.

Every landing row also carries the lineage columns of `LINEAGE_FIELDS`:
`_account_key` (config key of the account), `_ds` (logical date of the extract run),
`_run_id` (Airflow run id or CLI run id), `_extracted_at` (UTC) and `_source`
(`api` or `csv`).
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

LINEAGE_FIELDS = [
    pa.field("_account_key", pa.string(), nullable=False),
    pa.field("_ds", pa.date32(), nullable=False),
    pa.field("_run_id", pa.string(), nullable=False),
    pa.field("_extracted_at", TS, nullable=False),
    pa.field("_source", pa.string(), nullable=False),
]


def _schema(*fields: pa.Field) -> pa.Schema:
    return pa.schema([*fields, *LINEAGE_FIELDS])


SCHEMAS: dict[tuple[str, str], pa.Schema] = {
    # GET /{page-id}?fields=id,name,link,category,followers_count,fan_count
    # One row per page and extract run: a snapshot "as of" fetched_at.
    ("facebook", "page_snapshots"): _schema(
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("link", pa.string()),
        pa.field("category", pa.string()),
        pa.field("followers_count", pa.int64()),
        pa.field("fan_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ),
    # GET /{page-id}/insights?metric=...&period=day[&breakdown=is_from_ads]
    # Long format, one row per (metric, end_time, breakdown value). `breakdown` and
    # `breakdown_value` are '' for the plain total. Report date = end_time - 1 day.
    ("facebook", "page_insights"): _schema(
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),
        pa.field("end_time", TS, nullable=False),
        pa.field("breakdown", pa.string(), nullable=False),
        pa.field("breakdown_value", pa.string(), nullable=False),
        pa.field("value", pa.int64()),
    ),
    # GET /{page-id}/posts?fields=id,message,created_time,permalink_url,status_type,shares
    # One row per post seen by the run; comments_total_count comes from the
    # comments edge summary (filter=stream, replies included).
    ("facebook", "posts"): _schema(
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("message", pa.string()),
        pa.field("created_time", TS, nullable=False),
        pa.field("permalink_url", pa.string()),
        pa.field("status_type", pa.string()),
        pa.field("shares_count", pa.int64()),
        pa.field("comments_total_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ),
    # GET /{post-id}/insights?metric=...&period=lifetime[&breakdown=is_from_ads]
    # Long format: one row per (post, metric, breakdown value), lifetime values as of
    # fetched_at. Dict-valued metrics (post_reactions_by_type_total, post_clicks_by_type)
    # are exploded with breakdown = 'type'.
    ("facebook", "post_insights"): _schema(
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),
        pa.field("breakdown", pa.string(), nullable=False),
        pa.field("breakdown_value", pa.string(), nullable=False),
        pa.field("value", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ),
    # GET /{post-id}/comments?filter=stream&order=chronological
    # Commenters are pseudonymised here: author_pseudo_id is a keyed hash of the
    # platform user id; names and raw ids never reach landing.
    ("facebook", "comments"): _schema(
        pa.field("comment_id", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("parent_comment_id", pa.string()),
        pa.field("created_time", TS, nullable=False),
        pa.field("message", pa.string()),
        pa.field("author_pseudo_id", pa.string()),
        pa.field("is_from_page", pa.bool_(), nullable=False),
        pa.field("like_count", pa.int64()),
        pa.field("permalink_url", pa.string()),
        pa.field("fetched_at", TS, nullable=False),
    ),
}


def schema_for(platform: str, entity: str) -> pa.Schema:
    try:
        return SCHEMAS[(platform, entity)]
    except KeyError:
        known = ", ".join(f"{p}/{e}" for p, e in sorted(SCHEMAS))
        raise KeyError(f"no landing schema for {platform}/{entity}; known: {known}") from None


def entities(platform: str) -> list[str]:
    return [e for p, e in SCHEMAS if p == platform]
