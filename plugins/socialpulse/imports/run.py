"""`socialpulse import`: one export file -> landing files, all or nothing.

Imported rows land beside the API's (`account=<key>.csv.parquet`, `_source = csv`)
in the partition of the export date. Importing overlapping exports of the same day
merges them (a post present in both is kept once, the file imported last wins);
importing the same file twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq

from socialpulse.config import AccountsConfig
from socialpulse.imports import importer
from socialpulse.imports.reader import read_table
from socialpulse.landing import Partition, to_table, write_tables
from socialpulse.settings import Settings


@dataclass
class ImportResult:
    file: str
    platform: str
    as_of: str
    rows_read: int
    landed: dict[str, dict[str, int]]  # account key -> entity -> rows in the partition after the merge


def _existing(landing_dir: Path, part: Partition) -> list[dict]:
    path = landing_dir / part.relpath()
    if not path.exists():
        return []
    lineage = {"_account_key", "_ds", "_run_id", "_extracted_at", "_source"}
    return [{k: v for k, v in row.items() if k not in lineage} for row in pq.read_table(path).to_pylist()]


def import_file(
    settings: Settings,
    config: AccountsConfig,
    platform: str,
    path: Path,
    as_of: date,
    account: str | None = None,
) -> ImportResult:
    """Import one export. `account` (a key of config/accounts.yml) is for formats whose
    rows do not name their account (LinkedIn page exports); others check it if given."""
    module = importer(platform)
    # a format may name its header (title rows above it are skipped) and its workbook sheet
    table = read_table(path, header=getattr(module, "HEADER", ()), sheet=getattr(module, "SHEETS", None))
    parsed = module.parse(table, config, as_of, account)
    # the export was read from the platform when it was downloaded: the file's mtime. This
    # also makes importing the same file twice write byte-identical landing files.
    downloaded = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
    run_id = f"import__{path.name}"
    tables = {}
    landed: dict[str, dict[str, int]] = {}
    for account_key, entities in parsed.by_account.items():
        for entity, rows in entities.items():
            part = Partition(platform, entity, as_of, account_key, module.SOURCE)
            keys = module.KEYS[entity]
            merged = {tuple(r[k] for k in keys): r for r in _existing(settings.landing_dir, part)}
            merged.update({tuple(r[k] for k in keys): r for r in rows})
            lineage = {
                "_account_key": account_key,
                "_ds": as_of,
                "_run_id": run_id,
                "_extracted_at": downloaded,
                "_source": module.SOURCE,
            }
            tables[part] = to_table(platform, entity, merged.values(), lineage)  # validates; writes nothing
            landed.setdefault(account_key, {})[entity] = len(merged)
    write_tables(settings.landing_dir, tables)
    return ImportResult(
        file=str(path), platform=platform, as_of=as_of.isoformat(), rows_read=parsed.rows_read, landed=landed
    )
