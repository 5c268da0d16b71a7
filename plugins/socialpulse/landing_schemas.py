"""Landing contracts: the Arrow schema of every (platform, entity) written to landing/.

Each connector declares the entities it lands (`LANDING_SCHEMAS` in
`socialpulse.connectors.<platform>`); this module adds the lineage columns and is
the one place the loader, the tests and the audit look them up.

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


def _schema(fields: list[pa.Field]) -> pa.Schema:
    return pa.schema([*fields, *LINEAGE_FIELDS])


def _collect() -> dict[tuple[str, str], pa.Schema]:
    from socialpulse.connectors import CONNECTORS, connector

    return {
        (platform, entity): _schema(fields)
        for platform in CONNECTORS
        for entity, fields in connector(platform).LANDING_SCHEMAS.items()
    }


# (platform, entity) -> schema, from each connector's LANDING_SCHEMAS.
SCHEMAS: dict[tuple[str, str], pa.Schema] = _collect()


def schema_for(platform: str, entity: str) -> pa.Schema:
    try:
        return SCHEMAS[(platform, entity)]
    except KeyError:
        known = ", ".join(f"{p}/{e}" for p, e in sorted(SCHEMAS))
        raise KeyError(f"no landing schema for {platform}/{entity}; known: {known}") from None


def entities(platform: str) -> list[str]:
    return [e for p, e in SCHEMAS if p == platform]
