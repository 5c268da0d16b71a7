"""
### socialpulse — extract (one DAG per platform)

Generated from `config/accounts.yml`: one DAG `socialpulse_extract_<platform>` per
configured platform, one mapped `extract` task per account.

Each task calls the platform's API (the sandbox by default, the real API once
`SOCIALPULSE_<PLATFORM>_BASE_URL` and a token are set) for the run's day plus a
lookback window (default 3 days, because metrics keep settling), and writes immutable
Parquet files to `landing/platform=…/entity=…/ds=…/account=….parquet`. Extract tasks
never touch DuckDB, so they run in parallel. When every account has landed, the
`landed` task updates the Asset `landing_<platform>`, which schedules
`socialpulse_build`.

Scheduled daily on UTC data intervals: the run that starts at midnight reads the day
that just ended (its `ds`), never the day that is starting.

Parameters: `days` — how many days to (re)read ending at the run's date; 0 means
the platform's lookback. Use `{"days": 90}` for an initial load (Meta serves at most
90 days per request and two years in all).

Tokens come from the Airflow Connection `socialpulse_<platform>_<account key>`
(password field) or from the environment; they are never logged nor landed. An
expired or revoked token fails the task at once, without retries.

Token health (`socialpulse.token_health`): each success records the account's last
successful call and its token's expiry when the API tells it; an expiry 14 days
away or fewer is alerted through the notifier once per expiry date, and the first
authentication failure once, until a success re-arms it.
"""

from __future__ import annotations

from airflow.sdk import DAG, CronDataIntervalTimetable, Param, task

from socialpulse.assets import landing_asset
from socialpulse.config import load_accounts
from socialpulse.dag_defaults import DEFAULT_ARGS, START_DATE
from socialpulse.settings import get_settings

CONFIG = load_accounts(get_settings().config_file)


def make_extract_dag(platform: str) -> DAG:
    accounts = [a.as_dict() for a in CONFIG.for_platform(platform)]
    with DAG(
        dag_id=f"socialpulse_extract_{platform}",
        description=f"{platform}: API -> landing Parquet, one mapped task per account",
        doc_md=__doc__,
        # not "@daily" (Airflow 3 reads it as a cron trigger whose ds is the day starting)
        schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["socialpulse", "extract", platform],
        params={
            "days": Param(
                0,
                type="integer",
                minimum=0,
                maximum=730,
                description="days to read ending at the run date; 0 = lookback",
            )
        },
    ) as dag:

        @task(max_active_tis_per_dag=4)
        def extract(account: dict, ds=None, run_id=None, params=None, **context) -> dict:
            from datetime import UTC, date, datetime

            from airflow.sdk.exceptions import AirflowFailException

            from socialpulse import token_health
            from socialpulse.connectors.client import ApiError, AuthError
            from socialpulse.credentials import MissingSecret
            from socialpulse.extract import extract_account

            cfg = load_accounts(get_settings().config_file)
            notify = token_health.airflow_notify({**context, "run_id": run_id})
            try:
                result = extract_account(
                    get_settings(),
                    cfg,
                    cfg.account(account["key"]),
                    date.fromisoformat(ds),
                    days=int(params.get("days") or 0) or None,
                    run_id=run_id,
                )
            except (MissingSecret, AuthError) as exc:  # retrying cannot fix a token; alerted once until a success
                now = datetime.now(UTC)
                token_health.after_auth_failure(get_settings(), platform, account["key"], exc, notify, now=now)
                raise AirflowFailException(str(exc)) from exc
            except ApiError as exc:
                # Schema drift, a looping cursor: a person must act,
                # and Airflow's retries would only repeat the same answer. Transient errors that
                # outlived the client's own retries are retried by Airflow.
                if not exc.transient:
                    raise AirflowFailException(str(exc)) from exc
                raise
            token_health.after_success(get_settings(), result.as_dict(), notify)  # expiry within 14 days: alerted
            return result.as_dict()

        @task(outlets=[landing_asset(platform)])
        def landed(results: list[dict]) -> dict:
            rows: dict[str, int] = {}
            for r in results:
                for entity, n in r["rows"].items():
                    rows[entity] = rows.get(entity, 0) + n
            return {"platform": platform, "accounts": len(results), "rows": rows}

        landed(extract.expand(account=accounts))
    return dag


for _platform in sorted(CONFIG.platforms):
    globals()[f"socialpulse_extract_{_platform}"] = make_extract_dag(_platform)
