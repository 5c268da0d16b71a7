"""Shared DAG settings: owners, retries, pool names. Imported at parse time: keep it light."""

from __future__ import annotations

from datetime import datetime, timedelta

OWNER = "socialpulse-data"
START_DATE = datetime(2024, 1, 1)

# Everything that writes (or holds a lock on) the DuckDB build file goes through
# this pool of one slot: DuckDB allows a single writing process.
DUCKDB_WRITER_POOL = "socialpulse_duckdb_writer"

DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}
