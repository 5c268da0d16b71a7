"""
### socialpulse — la veille (hourly comment watch)

Every hour, for the data interval [start, end) of the run:

1. **extract** — one mapped task per account of every platform (`config/accounts.yml`):
   the comments and replies created from `start - overlap` (2 h by default, platform
   option `veille_overlap_hours`) to `end`, on the account's posts of the last
   `veille_post_days` days (7 by default). Commenters are pseudonymised at extraction
   (keyed hash; names and platform user ids never land), the permalink is kept where
   the platform gives one. Lands `landing/platform=…/entity=comments/ds=<day>/hour=<HH>/account=….parquet`
   (`entity=replies` on X), same schema as the daily run; a rerun of the hour replaces
   its own file. The watermark is the data interval, never state: reruns and
   backfills read the same comments.
2. **load** — the hourly files not loaded yet → the `raw` comment tables of the build
   database (one row per comment per extraction; dbt keeps the latest).
3. **dbt_build** — `dbt build` of the comment models only: staging and intermediate
   comments, then `fct_comments`, `rpt_moderation_queue`, `rpt_response_times_weekly`,
   `rpt_topic_trends`, `rpt_topic_spikes`, with their tests.
4. **publish** — those marts replace theirs in the serving database
   (`warehouse.duckdb`, atomic rename); every other mart stays as the last audited
   daily build published it.
5. **alert** — each spike of `marts.rpt_topic_spikes` not alerted before raises one
   alert through `SpikeAlertNotifier`: a line in this task's log and, when the HTTP
   connection `socialpulse_alerts_webhook` exists, one JSON POST to it. Alerted spikes
   are remembered in `$SOCIALPULSE_HOME/state/alerted_spikes.jsonl`, outside both
   databases: never the same spike twice, even after the build database is rebuilt.

Every task that opens the build database runs in the pool `socialpulse_duckdb_writer`.
"""

from __future__ import annotations

from airflow.sdk import DAG, CronDataIntervalTimetable, task

from socialpulse.config import load_accounts
from socialpulse.dag_defaults import DEFAULT_ARGS, DUCKDB_WRITER_POOL, START_DATE
from socialpulse.settings import get_settings

SETTINGS = get_settings()
ACCOUNTS = [a.as_dict() for a in load_accounts(SETTINGS.config_file).accounts]

with DAG(
    dag_id="socialpulse_veille",
    description="hourly: new comments -> landing -> raw -> comment marts -> serving; one alert per new spike",
    doc_md=__doc__,
    # an explicit data interval of one hour (a bare "@hourly" gives zero-length intervals in Airflow 3)
    schedule=CronDataIntervalTimetable("@hourly", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["socialpulse", "veille", "comments"],
) as dag:

    @task(max_active_tis_per_dag=4)
    def extract(account: dict, data_interval_start=None, data_interval_end=None, run_id=None) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from socialpulse.connectors.client import AuthError
        from socialpulse.credentials import MissingSecret
        from socialpulse.extract import extract_account_comments
        from socialpulse.veille import interval

        start, end = interval(data_interval_start, data_interval_end)
        cfg = load_accounts(SETTINGS.config_file)
        try:
            result = extract_account_comments(SETTINGS, cfg, cfg.account(account["key"]), start, end, run_id=run_id)
        except (AuthError, MissingSecret) as exc:  # retrying cannot fix a token
            raise AirflowFailException(str(exc)) from exc
        return result.as_dict()

    @task(pool=DUCKDB_WRITER_POOL)
    def load(results: list[dict]) -> dict:
        from socialpulse.veille import load_hourly

        landed: dict[str, int] = {}
        for r in results:
            for entity, n in r["rows"].items():
                key = f"{r['platform']}/{entity}"
                landed[key] = landed.get(key, 0) + n
        print(f"landed this hour: {sum(landed.values())} comments {landed}")
        return {"landed": landed, **load_hourly(SETTINGS)}

    @task(pool=DUCKDB_WRITER_POOL)
    def dbt_build(loaded: dict, data_interval_start=None, data_interval_end=None) -> None:
        from socialpulse.veille import dbt_build as build
        from socialpulse.veille import interval

        _, end = interval(data_interval_start, data_interval_end)
        build(SETTINGS, as_of=end)  # the moderation queue as of the interval's end: reruns build the same

    @task(pool=DUCKDB_WRITER_POOL)
    def publish() -> dict:
        from socialpulse.veille import publish_veille

        tables = publish_veille(SETTINGS)
        print(f"published to {SETTINGS.serving_db}: {tables}")
        return tables

    @task(pool=DUCKDB_WRITER_POOL)
    def alert(data_interval_start=None, data_interval_end=None, run_id=None) -> dict:
        from airflow.sdk import get_current_context

        from socialpulse.notifiers import SpikeAlertNotifier
        from socialpulse.veille import alert_new_spikes, interval

        context = get_current_context()

        def notify(spike: dict) -> str | None:
            notifier = SpikeAlertNotifier(spike=spike)
            notifier(context)
            return notifier.delivered_to

        _, end = interval(data_interval_start, data_interval_end)
        report = alert_new_spikes(SETTINGS, notify, as_of=end, run_id=run_id)
        print(
            f"spikes: {report.spikes} published, {report.recent} recent, {report.already} alerted before, "
            f"{len(report.alerted)} alerted now"
        )
        return report.as_dict()

    dbt_build(load(extract.expand(account=ACCOUNTS))) >> publish() >> alert()
