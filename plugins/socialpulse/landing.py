"""The landing zone: immutable Parquet files, one per (platform, entity, ds, account, source).

    landing/platform=<p>/entity=<e>/ds=<YYYY-MM-DD>/account=<key>.parquet       (API)
    landing/platform=<p>/entity=<e>/ds=<YYYY-MM-DD>/account=<key>.csv.parquet   (CSV import)
    landing/platform=<p>/entity=<e>/ds=<YYYY-MM-DD>/hour=<HH>/account=<key>.parquet
                                                    (the hourly veille: comments only)

Hourly partitions live one folder below the daily ones, so the daily loader (which
lists `ds=*/account=*`) never takes them: the veille loads its own files.

Extract tasks run in parallel and never touch DuckDB; each writes its own files.
A file is written under a temporary name in the same folder, flushed, then renamed
over the final name: readers see the old file or the new one, never half of one, and
a rerun of the same (ds, account) replaces its own file instead of adding a second.
An account with nothing to report still gets a file with zero rows, so that "no
posts that day" is told apart from "extraction missing".
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from socialpulse.landing_schemas import schema_for

_PATH_RE = re.compile(
    r"platform=(?P<platform>[a-z0-9_]+)/entity=(?P<entity>[a-z0-9_]+)/"
    r"ds=(?P<ds>\d{4}-\d{2}-\d{2})/(?:hour=(?P<hour>\d{2})/)?"
    r"account=(?P<account>[a-z0-9_]+)(?:\.(?P<source>[a-z]+))?\.parquet$"
)


class LandingError(ValueError):
    """Rows that do not fit the landing contract; names the entity, row and field."""


@dataclass(frozen=True)
class Partition:
    platform: str
    entity: str
    ds: date
    account_key: str
    source: str = "api"
    hour: int | None = None  # UTC hour of an hourly (veille) extraction; None for the daily files

    def relpath(self) -> str:
        suffix = "" if self.source == "api" else f".{self.source}"
        hour = "" if self.hour is None else f"hour={self.hour:02d}/"
        return (
            f"platform={self.platform}/entity={self.entity}/ds={self.ds.isoformat()}/{hour}"
            f"account={self.account_key}{suffix}.parquet"
        )

    @classmethod
    def from_path(cls, path: Path | str) -> Partition:
        m = _PATH_RE.search(Path(path).as_posix())
        if not m:
            raise LandingError(f"{path}: not a landing partition path")
        hour = int(m["hour"]) if m["hour"] is not None else None
        return cls(m["platform"], m["entity"], date.fromisoformat(m["ds"]), m["account"], m["source"] or "api", hour)


def to_table(platform: str, entity: str, rows: Iterable[dict], lineage: dict) -> pa.Table:
    """Rows plus lineage as an Arrow table of exactly the entity's schema."""
    schema = schema_for(platform, entity)
    records = [{**row, **lineage} for row in rows]
    for i, rec in enumerate(records):
        extra = set(rec) - set(schema.names)
        if extra:
            raise LandingError(f"{platform}/{entity} row {i}: fields not in the landing schema: {sorted(extra)}")
        for f in schema:
            if not f.nullable and rec.get(f.name) is None:
                raise LandingError(f"{platform}/{entity} row {i}: field {f.name!r} is required but missing")
    try:
        return pa.Table.from_pylist(records, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise LandingError(f"{platform}/{entity}: rows do not fit the landing schema: {exc}") from exc


def _lineage(partition: Partition, run_id: str, extracted_at: datetime, source: str) -> dict:
    return {
        "_account_key": partition.account_key,
        "_ds": partition.ds,
        "_run_id": run_id,
        "_extracted_at": extracted_at,
        "_source": partition.source,
    }


def _write_atomically(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A writer killed before its rename leaves its temp file behind; the next write of
    # the same partition (its rerun: one writer per partition) removes it.
    stale = re.compile(rf"\.{re.escape(path.stem)}\.[0-9a-f]{{32}}\.tmp")
    for old in path.parent.iterdir():
        if stale.fullmatch(old.name):
            old.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_partition(
    landing_dir: Path,
    partition: Partition,
    rows: Iterable[dict],
    *,
    run_id: str,
    extracted_at: datetime,
    source: str = "api",
) -> Path:
    partition = Partition(
        partition.platform, partition.entity, partition.ds, partition.account_key, source, partition.hour
    )
    table = to_table(partition.platform, partition.entity, rows, _lineage(partition, run_id, extracted_at, source))
    final = landing_dir / partition.relpath()
    _write_atomically(final, table)
    return final


def write_extraction(
    landing_dir: Path,
    platform: str,
    account_key: str,
    ds: date,
    entities: dict[str, list[dict]],
    *,
    run_id: str,
    extracted_at: datetime,
    source: str = "api",
    hour: int | None = None,
) -> dict[str, int]:
    """Validate every entity first, then write them: bad rows never leave half a run.

    `hour` (0-23, UTC) makes the files hourly partitions (`ds=…/hour=HH/`): the veille's.
    """
    tables = {}
    for entity, rows in entities.items():
        part = Partition(platform, entity, ds, account_key, source, hour)
        tables[part] = to_table(platform, entity, rows, _lineage(part, run_id, extracted_at, source))
    write_tables(landing_dir, tables)
    return {part.entity: table.num_rows for part, table in tables.items()}


def write_tables(landing_dir: Path, tables: dict[Partition, pa.Table]) -> None:
    """Write already validated tables, each atomically."""
    for part, table in tables.items():
        _write_atomically(landing_dir / part.relpath(), table)


def list_partitions(
    landing_dir: Path, platform: str | None = None, *, hourly: bool | None = False
) -> list[tuple[Partition, Path]]:
    """Landing files: the daily ones (default), the hourly ones (`hourly=True`) or both (`None`)."""
    daily = f"platform={platform or '*'}/entity=*/ds=*/account=*.parquet"  # API and imported files
    hourly_pattern = f"platform={platform or '*'}/entity=*/ds=*/hour=*/account=*.parquet"
    patterns = {False: [daily], True: [hourly_pattern], None: [daily, hourly_pattern]}[hourly]
    found = []
    for path in sorted(p for pattern in patterns for p in landing_dir.glob(pattern)):
        found.append((Partition.from_path(path), path))
    return found
