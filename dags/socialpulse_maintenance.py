"""
### socialpulse — maintenance: retention of comment texts

Daily. What people wrote in comments is personal data: it is kept for the retention
(`SOCIALPULSE_COMMENT_RETENTION_DAYS`, 396 days ≈ 13 months by default), counted from
the comment's creation to the end of this run's data interval (never the clock, so a
rerun of a day purges the same), then erased everywhere it lives. The comment itself
stays (its counts, timestamps, response times, topics and pseudonymous author), only
its text becomes NULL:

1. **purge_landing** — every comment landing file (daily and hourly) that still holds
   an expired text is rewritten atomically without it (same schema and lineage);
2. **purge_build** — the raw comment tables and the comment marts of the build
   database (`raw._load_log` learns the rewritten files, so the next load does not
   reload them);
3. **purge_serving** — the comment marts of the serving database and their Parquet
   exports, through an atomic republish (readers never see a half-purged file).

Every step is idempotent: a second run finds nothing left and rewrites nothing. The
counts of each step are in its log and XCom. Build and serving steps run in the pool
`socialpulse_duckdb_writer`, like every writer of the build database.
"""

from __future__ import annotations

from airflow.sdk import DAG, task

from socialpulse.dag_defaults import DEFAULT_ARGS, DUCKDB_WRITER_POOL, START_DATE
from socialpulse.settings import get_settings

SETTINGS = get_settings()

with DAG(
    dag_id="socialpulse_maintenance",
    description="retention: comment texts older than the retention erased from landing, build and serving",
    doc_md=__doc__,
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["socialpulse", "maintenance", "retention"],
) as dag:

    @task
    def purge_landing(data_interval_end=None) -> dict:
        from socialpulse.retention import cutoff, purge_landing

        before = cutoff(data_interval_end, SETTINGS.comment_retention_days)
        report = purge_landing(SETTINGS.landing_dir, before)
        print(
            f"comment texts created before {before.isoformat()} (retention {SETTINGS.comment_retention_days} days): "
            f"{report.texts_purged} erased in {len(report.rewritten)} of {report.files_checked} landing files"
        )
        return {"before": before.isoformat(), **report.as_dict()}

    @task(pool=DUCKDB_WRITER_POOL)
    def purge_build(landing: dict) -> dict:
        from datetime import datetime

        from socialpulse.retention import purge_build

        purged = purge_build(SETTINGS.build_db, datetime.fromisoformat(landing["before"]), landing["rewritten"])
        print(f"build database: {sum(purged.values())} comment texts erased {purged}")
        return purged

    @task(pool=DUCKDB_WRITER_POOL)
    def purge_serving(landing: dict) -> dict:
        from datetime import datetime

        from socialpulse.retention import purge_serving

        before = datetime.fromisoformat(landing["before"])
        purged = purge_serving(SETTINGS.serving_db, SETTINGS.build_db, before, SETTINGS.exports_dir)
        print(f"serving database: {sum(purged.values())} comment texts erased {purged}")
        return purged

    landed = purge_landing()
    purge_build(landed) >> purge_serving(landed)
