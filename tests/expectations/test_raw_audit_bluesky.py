"""Bluesky raw suites on real DuckDB files: a good partition passes, damage fails loudly."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from gx_builders import CONTEXT_ROOT

from socialpulse.landing_schemas import schema_for
from socialpulse.quality import AuditTarget, run_audit

PLATFORM = "bluesky"
DS = date(2026, 11, 19)
DID = "did:plc:vq3kzrg4xwm2e7aiyo5hnb6t"
ENTITIES = ("profile_snapshots", "posts", "comments")
COUNTERS = {"profile_snapshots": "followers_count", "posts": "like_count", "comments": "like_count"}
KEYS = {"profile_snapshots": "did", "posts": "post_uri", "comments": "rkey"}


def ts(day: date, hour: int = 0, minute: int = 0) -> pd.Timestamp:
    return pd.Timestamp(datetime(day.year, day.month, day.day, hour, minute), tz="UTC")


def rkey(n: int) -> str:
    return "3n2" + "abcdefghijklmnopqrstuvwxyz"[n % 26] * 10


def rows(entity: str, ds: date) -> list[dict]:
    fetched = ts(ds + timedelta(days=1), 6)
    posts = [(f"at://{DID}/app.bsky.feed.post/{rkey(n)}", ts(ds - timedelta(days=n), 9 + n)) for n in range(3)]
    if entity == "profile_snapshots":
        return [
            {
                "did": DID,
                "handle": "valdargent.bsky.social",
                "display_name": "Région",
                "followers_count": 7600,
                "follows_count": 300,
                "posts_count": 1700,
                "fetched_at": fetched,
            }
        ]
    if entity == "posts":
        return [
            {
                "post_uri": uri,
                "did": DID,
                "rkey": uri.rsplit("/", 1)[1],
                "cid": "bafyreiabc",
                "text": "Bonjour",
                "created_at": created,
                "indexed_at": created + timedelta(seconds=1),
                "langs": "fr",
                "embed_type": ["images", None, "external"][i],
                "external_uri": None,
                "permalink_url": f"https://bsky.app/profile/valdargent.bsky.social/post/{uri.rsplit('/', 1)[1]}",
                "like_count": 40,
                "repost_count": 3,
                "quote_count": 1,
                "reply_count": 2,
                "comments_total_count": 2,
                "fetched_at": fetched,
            }
            for i, (uri, created) in enumerate(posts)
        ]
    return [
        {
            "rkey": rkey(10 + 2 * i + n),
            "post_uri": uri,
            "did": DID,
            "parent_rkey": None if n == 0 else rkey(10 + 2 * i),
            "created_at": created + timedelta(hours=1 + n),
            "text": "Merci !",
            "author_pseudo_id": hashlib.sha256(f"{uri}/{n}".encode()).hexdigest()[:32],
            "is_from_account": n == 1,
            "like_count": n,
            "reply_count": 1 - n,
            "fetched_at": fetched,
        }
        for i, (uri, created) in enumerate(posts)
        for n in range(2)
    ]


def raw_schema(entity: str) -> pa.Schema:
    landing = schema_for(PLATFORM, entity)
    fields = [pa.field(f.name, f.type) for f in landing]  # nullable, like the loader's tables
    return pa.schema(
        [*fields, pa.field("_landing_file", pa.string()), pa.field("_loaded_at", pa.timestamp("us", "UTC"))]
    )


def frame(entity: str, ds: date = DS) -> pd.DataFrame:
    lineage = {
        "_account_key": "bsky_region_main",
        "_ds": ds,
        "_run_id": f"scheduled__{ds.isoformat()}T06:00:00+00:00",
        "_extracted_at": ts(ds + timedelta(days=1), 6),
        "_source": "api",
        "_landing_file": f"platform=bluesky/entity={entity}/ds={ds.isoformat()}/account=bsky_region_main.parquet",
        "_loaded_at": ts(ds + timedelta(days=1), 6, 5),
    }
    return pd.DataFrame([{**r, **lineage} for r in rows(entity, ds)], columns=raw_schema(entity).names)


def write(db: Path, frames: dict[str, pd.DataFrame]) -> Path:
    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists raw")
        for entity, df in frames.items():
            schema = pa.schema([f for f in raw_schema(entity) if f.name in df.columns])
            table = pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)
            con.register("incoming", table)
            con.execute(f"create or replace table raw.bluesky__{entity} as select * from incoming")
            con.unregister("incoming")
    return db


def target(entity: str, ds: date = DS) -> AuditTarget:
    return AuditTarget(
        table=f"raw.bluesky__{entity}",
        suite=f"raw.bluesky__{entity}",
        where=f"_ds = '{ds.isoformat()}'",
        partition_label=f"ds={ds.isoformat()}",
    )


def audit(tmp_path: Path, entity: str, df: pd.DataFrame):
    db = write(tmp_path / "b.duckdb", {entity: df})
    return run_audit(CONTEXT_ROOT, db, [target(entity)])


def failing(report, expectation: str, column: str | None = None) -> str:
    assert not report.success
    message = report.failure_message()
    line = next(
        (ln for ln in message.splitlines() if expectation in ln and (column is None or repr(column) in ln)), None
    )
    assert line, f"{expectation} did not fail:\n{message}"
    assert "suite raw.bluesky__" in line and f"[ds={DS.isoformat()}]" in line
    return line


@pytest.mark.parametrize("entity", ENTITIES)
def test_good_partition_passes(tmp_path, entity):
    db = write(tmp_path / "b.duckdb", {entity: pd.concat([frame(entity, DS - timedelta(days=1)), frame(entity)])})
    report = run_audit(CONTEXT_ROOT, db, [target(entity)])
    assert report.success, report.failure_message()
    (result,) = report.results
    assert result.row_count == len(frame(entity)) and result.evaluated >= 25


@pytest.mark.parametrize("entity", ENTITIES)
def test_negative_counter_fails(tmp_path, entity):
    df = frame(entity)
    df.loc[0, COUNTERS[entity]] = -5
    line = failing(audit(tmp_path, entity, df), "expect_column_values_to_be_between", COUNTERS[entity])
    assert "1 unexpected" in line and "-5" in line


@pytest.mark.parametrize("entity", ENTITIES)
def test_duplicate_key_fails(tmp_path, entity):
    df = frame(entity)
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    line = failing(audit(tmp_path, entity, df), "expect_compound_columns_to_be_unique")
    assert str(df.loc[0, KEYS[entity]]) in line


def test_future_post_fails(tmp_path):
    df = frame("posts")
    df.loc[0, "created_at"] = pd.Timestamp(DS + timedelta(days=30), tz="UTC")
    failing(audit(tmp_path, "posts", df), "expect_column_values_to_be_between", "created_at")


@pytest.mark.parametrize(
    ("entity", "column", "value"),
    [
        ("comments", "author_pseudo_id", "did:plc:6wzyyxsiqtfyvcxbqwdyshxv"),
        ("posts", "post_uri", "https://bsky.app/profile/x/post/1"),
        ("profile_snapshots", "did", "valdargent.bsky.social"),
    ],
)
def test_identity_and_id_shapes_are_enforced(tmp_path, entity, column, value):
    df = frame(entity)
    df.loc[0, column] = value
    failing(audit(tmp_path, entity, df), "expect_column_values_to_match_regex", column)


def test_missing_partition_fails(tmp_path):
    db = write(tmp_path / "b.duckdb", {"profile_snapshots": frame("profile_snapshots")})
    report = run_audit(CONTEXT_ROOT, db, [target("profile_snapshots", DS + timedelta(days=1))])
    assert not report.success and report.failures[0].expectation == "batch_has_rows"
