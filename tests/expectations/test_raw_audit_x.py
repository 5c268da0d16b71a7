"""X raw suites on real DuckDB files: a good partition passes, each kind of damage fails loudly."""

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
from socialpulse.quality import AuditReport, AuditTarget, run_audit

DS = date(2026, 11, 19)
ACCOUNTS = {"x_region_main": "1187364526102884352", "x_region_transports": "893457612345671680"}
ENTITIES = ("user_snapshots", "posts", "post_metrics", "replies")
COUNTERS = {
    "user_snapshots": "followers_count",
    "posts": None,
    "post_metrics": "impression_count",
    "replies": "like_count",
}
KEYS = {"user_snapshots": "user_id", "posts": "post_id", "post_metrics": "post_id", "replies": "reply_id"}


def ts(day: date, hour: int = 0, minute: int = 0) -> pd.Timestamp:
    return pd.Timestamp(datetime(day.year, day.month, day.day, hour, minute), tz="UTC")


def _posts_of(user_id: str, ds: date) -> list[tuple[str, pd.Timestamp]]:
    return [(f"{user_id[:6]}{ds.toordinal()}{n}", ts(ds - timedelta(days=n), 9 + n)) for n in range(3)]


def _rows(entity: str, user_id: str, ds: date) -> list[dict]:
    fetched = ts(ds + timedelta(days=1), 6)
    posts = _posts_of(user_id, ds)
    if entity == "user_snapshots":
        return [
            {
                "user_id": user_id,
                "username": "RegionValdArgent",
                "name": "Région",
                "created_at": ts(date(2013, 4, 22), 19),
                "followers_count": 48000,
                "following_count": 300,
                "tweet_count": 7400,
                "listed_count": 500,
                "fetched_at": fetched,
            }
        ]
    if entity == "posts":
        return [
            {
                "post_id": post_id,
                "user_id": user_id,
                "conversation_id": post_id,
                "text": "Bonjour",
                "lang": "fr",
                "created_at": created,
                "media_type": ["photo", None, "video"][i],
                "link_url": None,
                "permalink_url": f"https://x.com/RegionValdArgent/status/{post_id}",
                "fetched_at": fetched,
            }
            for i, (post_id, created) in enumerate(posts)
        ]
    if entity == "post_metrics":
        rows = []
        for i, (post_id, _) in enumerate(posts):
            promoted = i == 0
            private = i < 2
            row: dict = {"post_id": post_id, "user_id": user_id}
            row.update(
                impression_count=1000,
                like_count=30,
                retweet_count=4,
                quote_count=1,
                reply_count=2,
                bookmark_count=1,
                non_public_impression_count=1000 if private else None,
                url_link_clicks=12 if private else None,
                user_profile_clicks=2 if private else None,
                engagements=52 if private else None,
            )
            for name, total in (
                ("impression_count", 1000),
                ("like_count", 30),
                ("reply_count", 2),
                ("retweet_count", 4),
                ("url_link_clicks", 12),
                ("user_profile_clicks", 2),
            ):
                paid = total // 4 if promoted else None
                row[f"organic_{name}"] = (total - (paid or 0)) if private else None
                row[f"promoted_{name}"] = paid
            row.update(has_private_metrics=private, is_promoted=promoted if private else None, fetched_at=fetched)
            rows.append(row)
        return rows
    return [
        {
            "reply_id": f"{post_id}{n}",
            "post_id": post_id,
            "user_id": user_id,
            "parent_reply_id": None if n == 0 else f"{post_id}0",
            "created_at": created + timedelta(hours=1 + n),
            "text": "Merci !",
            "author_pseudo_id": hashlib.sha256(f"{post_id}/{n}".encode()).hexdigest()[:32],
            "is_from_account": n == 1,
            "like_count": n,
            "fetched_at": fetched,
        }
        for post_id, created in posts
        for n in range(2)
    ]


def raw_schema(entity: str) -> pa.Schema:
    return (
        schema_for("x", entity)
        .append(pa.field("_landing_file", pa.string()))
        .append(pa.field("_loaded_at", pa.timestamp("us", tz="UTC")))
    )


def raw_frame(entity: str, ds: date = DS) -> pd.DataFrame:
    lineage = {
        "_ds": ds,
        "_run_id": f"scheduled__{ds.isoformat()}T06:00:00+00:00",
        "_extracted_at": ts(ds + timedelta(days=1), 6),
        "_source": "api",
        "_loaded_at": ts(ds + timedelta(days=1), 6, 5),
    }
    rows = [
        {
            **row,
            **lineage,
            "_account_key": key,
            "_landing_file": f"platform=x/entity={entity}/ds={ds.isoformat()}/account={key}.parquet",
        }
        for key, user_id in ACCOUNTS.items()
        for row in _rows(entity, user_id, ds)
    ]
    return pd.DataFrame(rows, columns=raw_schema(entity).names)


def write_raw(db: Path, frames: dict[str, pd.DataFrame]) -> Path:
    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists raw")
        for entity, frame in frames.items():
            # Nullable like the loader's tables, so a test can store a NULL key.
            schema = pa.schema([pa.field(f.name, f.type) for f in raw_schema(entity) if f.name in frame.columns])
            table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
            con.register("incoming", table)
            con.execute(f"create or replace table raw.x__{entity} as select * from incoming")
            con.unregister("incoming")
    return db


def target(entity: str, ds: date = DS) -> AuditTarget:
    return AuditTarget(
        table=f"raw.x__{entity}",
        suite=f"raw.x__{entity}",
        where=f"_ds = '{ds.isoformat()}'",
        partition_label=f"ds={ds.isoformat()}",
    )


def audit(db: Path, entity: str, frame: pd.DataFrame) -> AuditReport:
    write_raw(db, {entity: frame})
    return run_audit(CONTEXT_ROOT, db, [target(entity)])


def failing(report: AuditReport, expectation: str, column: str | None = None) -> str:
    """The line of the single failure message naming this expectation (and column)."""
    assert not report.success
    message = report.failure_message()
    line = next(
        (ln for ln in message.splitlines() if expectation in ln and (column is None or repr(column) in ln)), None
    )
    assert line, f"{expectation} on {column} did not fail:\n{message}"
    assert f"[ds={DS.isoformat()}]" in line and "suite raw.x__" in line
    return line


@pytest.fixture
def good_build(tmp_path: Path) -> Path:
    frames = {e: pd.concat([raw_frame(e, DS - timedelta(days=1)), raw_frame(e)]) for e in ENTITIES}
    return write_raw(tmp_path / "build.duckdb", frames)


@pytest.mark.parametrize("entity", ENTITIES)
def test_good_partition_passes(good_build: Path, entity: str) -> None:
    report = run_audit(CONTEXT_ROOT, good_build, [target(entity)])
    assert report.success, report.failure_message()
    (result,) = report.results
    assert result.row_count == len(raw_frame(entity)) and result.evaluated >= 30


@pytest.mark.parametrize("entity", [e for e, c in COUNTERS.items() if c])
def test_negative_counter_fails(tmp_path: Path, entity: str) -> None:
    frame = raw_frame(entity)
    frame.loc[0, COUNTERS[entity]] = -5
    line = failing(audit(tmp_path / "b.duckdb", entity, frame), "expect_column_values_to_be_between", COUNTERS[entity])
    assert "-5" in line


@pytest.mark.parametrize("entity", ENTITIES)
def test_duplicate_key_fails(tmp_path: Path, entity: str) -> None:
    frame = raw_frame(entity)
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    line = failing(audit(tmp_path / "b.duckdb", entity, frame), "expect_compound_columns_to_be_unique")
    assert str(frame.loc[0, KEYS[entity]]) in line


@pytest.mark.parametrize("entity", ENTITIES)
def test_missing_column_fails(tmp_path: Path, entity: str) -> None:
    frame = raw_frame(entity).drop(columns=["fetched_at"])
    line = failing(audit(tmp_path / "b.duckdb", entity, frame), "expect_table_columns_to_match_set")
    assert "fetched_at" in line


def test_future_post_fails(tmp_path: Path) -> None:
    frame = raw_frame("posts")
    frame["created_at"] = frame["created_at"].astype("datetime64[us, UTC]")
    frame.loc[0, "created_at"] = ts(DS + timedelta(days=30))
    line = failing(audit(tmp_path / "b.duckdb", "posts", frame), "expect_column_values_to_be_between", "created_at")
    assert (DS + timedelta(days=30)).isoformat() in line


def test_reply_after_its_fetch_fails(tmp_path: Path) -> None:
    frame = raw_frame("replies")
    frame.loc[0, "created_at"] = frame.loc[0, "fetched_at"] + timedelta(days=1)
    failing(audit(tmp_path / "b.duckdb", "replies", frame), "expect_column_pair_values_a_to_be_greater_than_b")


@pytest.mark.parametrize(
    ("column", "value", "expectation"),
    [
        ("author_pseudo_id", "1187364526102884352", "expect_column_values_to_match_regex"),
        ("user_id", "x:1187364526102884352", "expect_column_values_to_match_regex"),
        ("reply_id", None, "expect_column_values_to_not_be_null"),
        ("_source", "manual", "expect_column_values_to_be_in_set"),
    ],
)
def test_reply_contract_breaks_fail(tmp_path: Path, column: str, value: object, expectation: str) -> None:
    frame = raw_frame("replies")
    frame.loc[1, column] = value
    failing(audit(tmp_path / "b.duckdb", "replies", frame), expectation, column)


def test_organic_above_public_impressions_fails(tmp_path: Path) -> None:
    frame = raw_frame("post_metrics")
    frame.loc[0, "organic_impression_count"] = 5000
    failing(audit(tmp_path / "b.duckdb", "post_metrics", frame), "expect_column_pair_values_a_to_be_greater_than_b")


def test_unknown_media_type_fails(tmp_path: Path) -> None:
    frame = raw_frame("posts")
    frame.loc[0, "media_type"] = "reel"
    failing(audit(tmp_path / "b.duckdb", "posts", frame), "expect_column_values_to_be_in_set", "media_type")


def test_empty_partition_is_a_failure(good_build: Path) -> None:
    report = run_audit(CONTEXT_ROOT, good_build, [target("user_snapshots", DS + timedelta(days=1))])
    assert not report.success and report.failures[0].expectation == "batch_has_rows"
