"""DAG integrity of the veille (hourly comments) and maintenance (retention) DAGs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from socialpulse.airflow_env import airflow_env
from socialpulse.config import load_accounts
from socialpulse.dag_defaults import DUCKDB_WRITER_POOL, OWNER
from socialpulse.settings import REPO_ROOT, Settings

DAGS_DIR = REPO_ROOT / "dags"
VEILLE_WRITERS = {"load", "dbt_build", "publish", "alert"}


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow_home")
    env = airflow_env(Settings.from_env())
    env["AIRFLOW_HOME"] = str(home)
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home / 'airflow.db'}"
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        from airflow.dag_processing.dagbag import DagBag

        yield DagBag(dag_folder=str(DAGS_DIR))
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def veille(dagbag):
    return dagbag.dags["socialpulse_veille"]


@pytest.fixture(scope="module")
def maintenance(dagbag):
    return dagbag.dags["socialpulse_maintenance"]


def test_both_files_import_without_errors(dagbag):
    for name in ("socialpulse_veille.py", "socialpulse_maintenance.py"):
        assert not [path for path in dagbag.import_errors if path.endswith(name)], dagbag.import_errors
    assert {"socialpulse_veille", "socialpulse_maintenance"} <= set(dagbag.dag_ids)


def test_veille_runs_hourly_on_one_hour_data_intervals(veille):
    import pendulum
    from airflow.timetables.interval import CronDataIntervalTimetable

    assert veille.timetable.expression == "0 * * * *"  # @hourly
    assert veille.catchup is False and veille.max_active_runs == 1
    # the watermark is the data interval: it must be one full hour, not a zero-length trigger
    core = CronDataIntervalTimetable(veille.timetable.expression, "UTC")
    interval = core.infer_manual_data_interval(run_after=pendulum.datetime(2026, 11, 20, tz="UTC"))
    assert interval.end - interval.start == timedelta(hours=1)
    assert interval.end == datetime(2026, 11, 20, tzinfo=UTC)


def test_veille_shape_tags_owner_retries(veille):
    assert {"socialpulse", "veille"} <= set(veille.tags)
    assert veille.doc_md and "socialpulse_alerts_webhook" in veille.doc_md
    assert {t.task_id for t in veille.tasks} == {"extract", *VEILLE_WRITERS}
    for t in veille.tasks:
        assert t.owner == OWNER, t.task_id
        assert t.retries >= 2, t.task_id
    order = ["extract", "load", "dbt_build", "publish", "alert"]
    for upstream, downstream in zip(order, order[1:], strict=False):
        assert downstream in veille.get_task(upstream).downstream_task_ids, f"{upstream} -> {downstream}"


def test_veille_writers_share_the_single_slot_pool_and_extracts_run_beside_them(veille):
    for t in veille.tasks:
        if t.task_id in VEILLE_WRITERS:
            assert t.pool == DUCKDB_WRITER_POOL, f"{t.task_id} must run in {DUCKDB_WRITER_POOL}"
        else:
            assert t.pool != DUCKDB_WRITER_POOL, f"{t.task_id} never opens DuckDB: it must not hold the slot"


def test_veille_extract_is_mapped_over_every_account_of_every_platform(veille):
    accounts = veille.get_task("extract").op_kwargs_expand_input.value["account"]
    configured = load_accounts(Settings.from_env().config_file).accounts
    assert [a["key"] for a in accounts] == [a.key for a in configured]
    assert {a["platform"] for a in accounts} == {"facebook", "instagram", "linkedin", "x", "bluesky", "mastodon"}


def test_maintenance_is_daily_and_its_database_writers_use_the_pool(maintenance):
    assert maintenance.timetable.expression == "0 0 * * *"  # @daily
    assert {"socialpulse", "maintenance"} <= set(maintenance.tags)
    assert maintenance.catchup is False and maintenance.max_active_runs == 1
    assert "SOCIALPULSE_COMMENT_RETENTION_DAYS" in maintenance.doc_md
    pools = {t.task_id: t.pool for t in maintenance.tasks}
    assert pools["purge_build"] == pools["purge_serving"] == DUCKDB_WRITER_POOL
    assert pools["purge_landing"] != DUCKDB_WRITER_POOL
    for t in maintenance.tasks:
        assert t.owner == OWNER and t.retries >= 2, t.task_id
    assert "purge_serving" in maintenance.get_task("purge_build").downstream_task_ids


@pytest.mark.parametrize("name", ["socialpulse_veille.py", "socialpulse_maintenance.py"])
def test_parsing_imports_nothing_heavy(name):
    """No DuckDB, Cosmos, pyarrow, HTTP client or notifier at parse time (they load inside tasks)."""
    probe = (
        "import sys, runpy; import airflow.sdk; before = set(sys.modules); "
        f"runpy.run_path({str(DAGS_DIR / name)!r}); "
        "heavy = ('duckdb', 'cosmos', 'pyarrow', 'httpx', 'pandas', 'dbt', 'socialpulse.notifiers', "
        "'socialpulse.veille', 'socialpulse.retention', 'socialpulse.connectors'); "
        "print(sorted(m for m in set(sys.modules) - before if m.startswith(heavy)))"
    )
    env = {**os.environ, **airflow_env(Settings.from_env())}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, cwd=REPO_ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
