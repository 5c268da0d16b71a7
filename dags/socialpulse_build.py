"""
### socialpulse — build: load → dbt → audit → publish

Scheduled on the landing Assets of every platform (it also runs by hand, or under
`airflow dags test` for a given date). Write-audit-publish:

1. **load** — landing Parquet → DuckDB `raw` in the build database
   (`$SOCIALPULSE_HOME/build.duckdb`), idempotent per (platform, entity, ds, account);
   and the extract tasks' token health state → `raw.token_health`, replaced whole.
2. **dbt** (after `audit_raw`) — the dbt project (staging → intermediate → marts, with tests, unit tests
   and contracts) through Cosmos, rendered from `dbt_project/target/manifest.json`,
   in WATCHER mode: one `dbt build` process of the whole project (any failing model or
   test fails it), then one watcher task per mart, showing its result.
3. **audit_raw / audit_marts** — Great Expectations suites (expectations/): the raw
   partitions just loaded are checked before dbt runs, the mart rows they feed after.
   A failure stops the run, naming suite, expectation, partition and offending values;
   nothing is published.
   Cross-row checks (socialpulse.audit_checks) run with them: every configured
   account's partition present (before dbt); lifetime counters not decreasing, volume
   against the trailing 28 days, no metric gone NULL (after). Failures and warnings,
   with the offending rows, go to the `audit` schema of the build database; GX Data
   Docs go to `$SOCIALPULSE_HOME/docs/gx/{raw,marts}/index.html`.
4. **publish** — the marts are copied to a new serving database that atomically
   replaces `$SOCIALPULSE_HOME/warehouse.duckdb` (what BI and analysts open read-only),
   plus Parquet exports in `$SOCIALPULSE_HOME/exports/`.
5. **audit_freshness** — after publish, `marts.rpt_data_freshness`: an account whose
   newest complete day is older than its platform's limit fails the run (someone must
   look) without holding back the other platforms' data, already published.
6. **dbt_docs** — dbt docs of the published build in `$SOCIALPULSE_HOME/docs/dbt/`.

Every task that opens the build database runs in the pool `socialpulse_duckdb_writer`
(one slot): DuckDB allows a single writer.
"""

from __future__ import annotations

import sys
from pathlib import Path

from airflow.sdk import DAG, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from socialpulse.assets import SERVING_WAREHOUSE, landing_asset
from socialpulse.config import load_accounts
from socialpulse.dag_defaults import DEFAULT_ARGS, DUCKDB_WRITER_POOL, START_DATE
from socialpulse.operators import GreatExpectationsAuditOperator
from socialpulse.settings import DBT_PRODUCTION_FLAGS, get_settings

SETTINGS = get_settings()
PLATFORMS = sorted(load_accounts(SETTINGS.config_file).platforms)
DBT_DIR = SETTINGS.dbt_project_dir

schedule = None
for _platform in PLATFORMS:
    schedule = landing_asset(_platform) if schedule is None else schedule | landing_asset(_platform)

# the models that get a watcher task of their own (dbt selector syntax)
MART_WATCHERS = "path:models/marts"


def _without_resource_type_flags(flags: list[str] | None) -> list[str]:
    """dbt flags minus every `--resource-type <type>` pair."""
    out: list[str] = []
    it = iter(flags or [])
    for flag in it:
        if flag == "--resource-type":
            next(it, None)
        else:
            out.append(flag)
    return out


AS_OF_TEMPLATE = (
    "{% set loaded = ti.xcom_pull(task_ids='load') %}"
    "{{ macros.ds_add(loaded['max_ds'], 1) if loaded and loaded['max_ds'] else '' }}"
)

with DAG(
    dag_id="socialpulse_build",
    description="load -> dbt -> Great Expectations audit -> atomic publish of the serving warehouse",
    doc_md=__doc__,
    schedule=schedule,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["socialpulse", "build", "dbt", "audit"],
) as dag:

    @task(pool=DUCKDB_WRITER_POOL)
    def load(run_id=None) -> dict:
        from socialpulse.config import load_accounts
        from socialpulse.load import load_landing
        from socialpulse.token_health import load_health

        report = load_landing(
            SETTINGS.build_db,
            SETTINGS.landing_dir,
            run_id=run_id or "load",
            memory_limit=SETTINGS.duckdb_memory_limit,
        )
        print(report.summary())
        # the extract tasks' token state (last successful call, expiry) -> raw.token_health
        load_health(SETTINGS.build_db, SETTINGS, load_accounts(SETTINGS.config_file))
        return report.as_dict()

    project = ProjectConfig(
        dbt_project_path=DBT_DIR,
        manifest_path=DBT_DIR / "target" / "manifest.json",
        env_vars=SETTINGS.dbt_env(),
    )
    # Cosmos wraps the manifest path in an ObjectStoragePath, whose first open() loads
    # Airflow's plugins for hook lineage: ~1 s of every parse for a local file. A plain
    # Path reads the same file (Cosmos only calls open() and exists() on it).
    project.manifest_path = DBT_DIR / "target" / "manifest.json"
    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=project,
        profile_config=ProfileConfig(
            profile_name="socialpulse",
            target_name="build",
            profiles_yml_filepath=DBT_DIR / "profiles.yml",
        ),
        # dbt runs in its own process: its DuckDB connection (read-write) then closes
        # with it, before the audit opens the same file read-only.
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=str(Path(sys.executable).parent / "dbt"),
        ),
        # One watcher per mart (what publish serves), none per staging or intermediate
        # model or per test: each watcher is a task instance (a process, a DAG parse, its
        # XCom reads), and about 200 of them (models, seeds, tests) cost more than dbt
        # itself. The producer still runs every model, seed and test (below).
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=[MART_WATCHERS],
            test_behavior=TestBehavior.NONE,
        ),
        # The moderation queue's reference instant: the end of the latest day loaded, so
        # that rerunning a day rebuilds the same marts (not "now").
        operator_args={"install_deps": False, "vars": {"as_of": AS_OF_TEMPLATE}},
        default_args={**DEFAULT_ARGS, "retries": 0},
    )
    # Only the producer runs dbt (and writes DuckDB); watcher sensors merely read XCom,
    # so they must not hold the single writer slot the producer waits for.
    producer = dag.get_task(f"{dbt.group_id}.dbt_producer_watcher")
    producer.pool = DUCKDB_WRITER_POOL
    # Cosmos gives the producer the rendering's selection, and with TestBehavior.NONE
    # adds `--resource-type` flags that leave the tests out. Undo both: the producer's one
    # `dbt build` is the whole project, data tests included, so that a failing model or
    # test fails it (and the run) exactly as a plain `dbt build` would. Unit tests are
    # left out (DBT_PRODUCTION_FLAGS): they run in `make test`, where the SQL changes.
    producer.select = None
    producer.dbt_cmd_flags = [*_without_resource_type_flags(producer.dbt_cmd_flags), *DBT_PRODUCTION_FLAGS]
    # In a task group Cosmos lets the root watchers start beside the producer. Under
    # `airflow dags test` (one task at a time) a watcher that defers first would wait
    # forever for a producer that cannot start, so the watchers follow the producer.
    for _t in dbt.get_roots():
        if _t is not producer and hasattr(_t, "producer_task_id"):
            producer >> _t

    @task(multiple_outputs=True)
    def plan_audit(loaded: dict) -> dict:
        from socialpulse.audit_checks import check_targets
        from socialpulse.audit_plan import plan_targets

        plan = plan_targets(loaded)
        checks = check_targets(loaded, load_accounts(SETTINGS.config_file))
        freshness = {
            "table": "marts.rpt_data_freshness",
            "suite": "marts.rpt_data_freshness",
            "where": None,
            "partition_label": f"every account, as of the end of {loaded.get('max_ds')}",
            "as_of": loaded.get("max_ds"),
        }
        return {**{layer: plan[layer] + checks[layer] for layer in ("raw", "marts")}, "freshness": [freshness]}

    loaded = load()
    plan = plan_audit(loaded)
    audit_raw = GreatExpectationsAuditOperator(
        task_id="audit_raw",
        doc_md="GX raw suites on the partitions just loaded: a bad extraction stops before dbt.",
        db_path=str(SETTINGS.build_db),
        context_root=str(SETTINGS.expectations_dir),
        targets=plan["raw"],
        docs_dir=str(SETTINGS.docs_dir / "gx" / "raw"),
        pool=DUCKDB_WRITER_POOL,
    )
    audit_marts = GreatExpectationsAuditOperator(
        task_id="audit_marts",
        doc_md="GX mart suites on the rows the new partitions feed: the gate before publish.",
        db_path=str(SETTINGS.build_db),
        context_root=str(SETTINGS.expectations_dir),
        targets=plan["marts"],
        docs_dir=str(SETTINGS.docs_dir / "gx" / "marts"),
        pool=DUCKDB_WRITER_POOL,
    )

    @task(pool=DUCKDB_WRITER_POOL, outlets=[SERVING_WAREHOUSE])
    def publish(loaded: dict, run_id=None) -> dict:
        from datetime import date

        from socialpulse.publish import publish as publish_warehouse

        ds = date.fromisoformat(loaded["max_ds"]) if loaded.get("max_ds") else None
        report = publish_warehouse(
            SETTINGS.build_db,
            SETTINGS.serving_db,
            ds=ds,
            run_id=run_id,
            exports_dir=SETTINGS.exports_dir,
            memory_limit=SETTINGS.duckdb_memory_limit,
        )
        print(report.summary())
        print(f"serving database: {SETTINGS.serving_db} (open it read-only)")
        return {"serving_db": str(SETTINGS.serving_db), "tables": report.tables, "changes": report.changes}

    @task(pool=DUCKDB_WRITER_POOL)
    def dbt_docs() -> str:
        """dbt docs of what was just published (catalog read from the build database)."""
        from socialpulse.docs import build_dbt_docs

        index = build_dbt_docs(SETTINGS)
        print(f"dbt docs: {index}")
        return str(index)

    audit_freshness = GreatExpectationsAuditOperator(
        task_id="audit_freshness",
        doc_md=(
            "After publish: every account's newest complete day within its platform's limit "
            "(seed freshness_limits). A stale platform fails the run so that someone looks, "
            "but does not hold back the other platforms' fresh data, already published."
        ),
        db_path=str(SETTINGS.build_db),
        context_root=str(SETTINGS.expectations_dir),
        targets=plan["freshness"],
        docs_dir=str(SETTINGS.docs_dir / "gx" / "freshness"),
        pool=DUCKDB_WRITER_POOL,
    )

    published = publish(loaded)
    audit_raw >> dbt >> audit_marts >> published >> [audit_freshness, dbt_docs()]
