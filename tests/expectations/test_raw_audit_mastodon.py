"""Mastodon raw suites on real DuckDB files: a good partition passes, damage fails loudly."""

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

PLATFORM = "mastodon"
DS = date(2026, 11, 19)
ACCOUNT = "109384756201938475"
ENTITIES = ("account_snapshots", "posts", "comments")
COUNTERS = {"account_snapshots": "followers_count", "posts": "favourites_count", "comments": "favourites_count"}
KEYS = {"account_snapshots": "account_id", "posts": "status_id", "comments": "status_id"}


def ts(day: date, hour: int = 0, minute: int = 0) -> pd.Timestamp:
    return pd.Timestamp(datetime(day.year, day.month, day.day, hour, minute), tz="UTC")


def rows(entity: str, ds: date) -> list[dict]:
    fetched = ts(ds + timedelta(days=1), 6)
    posts = [(str(117_600_000_000_000_000 + n * 1000), ts(ds - timedelta(days=n), 9 + n)) for n in range(3)]
    if entity == "account_snapshots":
        return [
            {
                "account_id": ACCOUNT,
                "username": "valdargent",
                "acct": "valdargent",
                "display_name": "Région",
                "url": "https://social.valdargent.fr/@valdargent",
                "followers_count": 4100,
                "following_count": 150,
                "statuses_count": 1400,
                "last_status_at": ds,
                "fetched_at": fetched,
            }
        ]
    if entity == "posts":
        return [
            {
                "status_id": sid,
                "account_id": ACCOUNT,
                "created_at": created,
                "text": "Bonjour",
                "language": "fr",
                "visibility": "public",
                "url": f"https://social.valdargent.fr/@valdargent/{sid}",
                "media_type": ["image", None, "video"][i],
                "media_count": [1, 0, 1][i],
                "card_url": None,
                "replies_count": 1,
                "reblogs_count": 3,
                "favourites_count": 25,
                "comments_total_count": 2,
                "fetched_at": fetched,
            }
            for i, (sid, created) in enumerate(posts)
        ]
    return [
        {
            "status_id": str(int(sid) + 1 + n),
            "post_status_id": sid,
            "account_id": ACCOUNT,
            "parent_status_id": None if n == 0 else str(int(sid) + 1),
            "created_at": created + timedelta(hours=1 + n),
            "text": "Merci !",
            "author_pseudo_id": hashlib.sha256(f"{sid}/{n}".encode()).hexdigest()[:32],
            "is_from_account": n == 1,
            "visibility": "public",
            "favourites_count": n,
            "replies_count": 1 - n,
            "fetched_at": fetched,
        }
        for sid, created in posts
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
        "_account_key": "masto_region_main",
        "_ds": ds,
        "_run_id": f"scheduled__{ds.isoformat()}T06:00:00+00:00",
        "_extracted_at": ts(ds + timedelta(days=1), 6),
        "_source": "api",
        "_landing_file": f"platform=mastodon/entity={entity}/ds={ds.isoformat()}/account=masto_region_main.parquet",
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
            con.execute(f"create or replace table raw.mastodon__{entity} as select * from incoming")
            con.unregister("incoming")
    return db


def target(entity: str, ds: date = DS) -> AuditTarget:
    return AuditTarget(
        table=f"raw.mastodon__{entity}",
        suite=f"raw.mastodon__{entity}",
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
    assert "suite raw.mastodon__" in line and f"[ds={DS.isoformat()}]" in line
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
    ("entity", "column", "value", "expectation"),
    [
        ("comments", "author_pseudo_id", "jo@piaille.fr", "expect_column_values_to_match_regex"),
        ("posts", "status_id", "https://social.valdargent.fr/@valdargent/1", "expect_column_values_to_match_regex"),
        ("comments", "visibility", "secret", "expect_column_values_to_be_in_set"),
    ],
)
def test_identity_and_contract_breaks_fail(tmp_path, entity, column, value, expectation):
    df = frame(entity)
    df.loc[0, column] = value
    failing(audit(tmp_path, entity, df), expectation, column)


def test_missing_partition_fails(tmp_path):
    db = write(tmp_path / "b.duckdb", {"account_snapshots": frame("account_snapshots")})
    report = run_audit(CONTEXT_ROOT, db, [target("account_snapshots", DS + timedelta(days=1))])
    assert not report.success and report.failures[0].expectation == "batch_has_rows"
