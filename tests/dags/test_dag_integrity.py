"""DAG integrity: every DAG imports, reads as configuration, and respects the house rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from socialpulse.airflow_env import airflow_env
from socialpulse.dag_defaults import DUCKDB_WRITER_POOL
from socialpulse.settings import REPO_ROOT, Settings

DAGS_DIR = REPO_ROOT / "dags"
DAG_FILES = sorted(DAGS_DIR.glob("*.py"))


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


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_expected_dags(dagbag):
    assert {"socialpulse_extract_facebook", "socialpulse_build"} <= set(dagbag.dag_ids)


def test_every_dag_has_docs_tags_owner_and_retries(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.doc_md and len(dag.doc_md) > 200, f"{dag_id}: doc_md"
        assert "socialpulse" in dag.tags, f"{dag_id}: tags"
        for t in dag.tasks:
            assert t.owner == "socialpulse-data", f"{dag_id}.{t.task_id}: owner"
            if not t.task_id.startswith("dbt."):  # dbt watchers fail fast; the producer is retried by the DAG run
                assert t.retries >= 2, f"{dag_id}.{t.task_id}: retries"


def test_writers_of_the_build_database_share_the_single_slot_pool(dagbag):
    build = dagbag.dags["socialpulse_build"]
    writers = {"load", "audit_raw", "audit_marts", "publish", "dbt.dbt_producer_watcher"}
    for t in build.tasks:
        if t.task_id in writers:
            assert t.pool == DUCKDB_WRITER_POOL, f"{t.task_id} must run in {DUCKDB_WRITER_POOL}"
        elif t.task_id.startswith("dbt."):
            assert t.pool != DUCKDB_WRITER_POOL, f"{t.task_id}: a watcher holding the slot would block the producer"
    assert writers <= {t.task_id for t in build.tasks}


def test_build_is_scheduled_on_the_landing_assets(dagbag):
    build = dagbag.dags["socialpulse_build"]
    cond = build.timetable.asset_condition
    assets = [cond] if hasattr(cond, "uri") else list(cond.objects)  # one Asset, or an AssetAny of them
    uris = {a.uri for a in assets}
    assert "socialpulse://landing/facebook" in uris
    extract = dagbag.dags["socialpulse_extract_facebook"]
    outlets = {o.uri for t in extract.tasks for o in t.outlets}
    assert outlets == {"socialpulse://landing/facebook"}


def test_extract_is_mapped_over_the_configured_accounts(dagbag):
    extract = dagbag.dags["socialpulse_extract_facebook"]
    task = extract.get_task("extract")
    accounts = task.op_kwargs_expand_input.value["account"]
    assert [a["key"] for a in accounts] == ["region_main", "region_transports", "region_jeunesse"]


@pytest.mark.parametrize("path", DAG_FILES, ids=[p.name for p in DAG_FILES])
def test_dag_file_imports_alone(path: Path):
    """Each file imports in a fresh interpreter, as the dag processor loads it (timings: bench/)."""
    env = {**os.environ, **airflow_env(Settings.from_env())}
    out = subprocess.run([sys.executable, str(path)], env=env, capture_output=True, text=True, cwd=REPO_ROOT)
    assert out.returncode == 0, out.stderr[-2000:]


def test_a_scheduled_extract_run_reads_the_day_that_just_ended(dagbag):
    """The run the scheduler starts at midnight UTC has the previous day as its data
    interval, so its ds is a complete day (a cron trigger would give the starting one)."""
    import pendulum
    from airflow.serialization.encoders import coerce_to_core_timetable

    midnight = pendulum.datetime(2026, 11, 27, tz="UTC")
    for dag_id in [d for d in dagbag.dag_ids if d.startswith("socialpulse_extract_")]:
        timetable = coerce_to_core_timetable(dagbag.dags[dag_id].timetable)
        interval = timetable.infer_manual_data_interval(run_after=midnight)
        assert (interval.start, interval.end) == (midnight.subtract(days=1), midnight), dag_id


def test_the_dbt_producer_builds_the_whole_project_with_its_tests(dagbag):
    """One `dbt build` of everything but the unit tests: a failing model or data test fails
    the producer, hence the run, as a plain `dbt build` would (watchers are rendered for
    the marts only); unit tests check the SQL on fixed rows, in `make test`."""
    build = dagbag.dags["socialpulse_build"]
    producer = build.get_task("dbt.dbt_producer_watcher")
    assert producer.base_cmd == ["build"]
    assert not producer.select and not producer.exclude and not producer.selector
    flags = producer.add_cmd_flags() + list(producer.dbt_cmd_flags or [])
    assert not {"--resource-type", "--select", "--exclude"} & set(flags), flags
    excluded = [flags[i + 1] for i, flag in enumerate(flags) if flag == "--exclude-resource-type"]
    assert excluded == ["unit_test"], flags
    assert producer.retries == 0
    downstream = build.get_task("audit_marts").get_flat_relative_ids(upstream=True)
    assert "dbt.dbt_producer_watcher" in downstream, "the audit waits for dbt"


def test_one_watcher_per_mart_and_each_follows_the_producer(dagbag):
    """Per-mart visibility in Airflow; under `airflow dags test` (one task at a time) a
    watcher that ran before the producer would wait for it forever."""
    build = dagbag.dags["socialpulse_build"]
    manifest = json.loads((REPO_ROOT / "dbt_project" / "target" / "manifest.json").read_text())
    marts = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["original_file_path"].startswith("models/marts/")
    }
    watchers = {t.task_id for t in build.tasks if hasattr(t, "producer_task_id")}
    assert watchers == {f"dbt.{m}_run" for m in marts}
    for task_id in watchers:
        assert "dbt.dbt_producer_watcher" in build.get_task(task_id).get_flat_relative_ids(upstream=True), task_id


def test_parsing_the_build_dag_loads_no_airflow_plugins():
    """The dag processor parses the build DAG without Airflow's plugins manager: Cosmos
    reads the manifest as a plain path (an ObjectStoragePath loads every plugin for hook
    lineage, about 1 s of each parse; timings: bench/dag_parse.py)."""
    probe = (
        "import runpy, sys; import airflow.sdk; "
        f"runpy.run_path({str(DAGS_DIR / 'socialpulse_build.py')!r}); "
        "pm = sys.modules.get('airflow.sdk.plugins_manager'); "
        "print(pm._get_plugins.cache_info().currsize if pm else 0)"
    )
    env = {**os.environ, **airflow_env(Settings.from_env())}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, cwd=REPO_ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "0"


def test_the_plugins_manager_does_not_import_the_socialpulse_library():
    """plugins/ holds a library, not Airflow plugins: `plugins/.airflowignore` keeps the
    plugins manager (task starts, scheduler, api-server) from executing each of its
    modules again under a top-level name (`settings`, `load`, `dbt_udfs`...)."""
    from airflow.sdk._shared.module_loading import find_path_from_directory

    plugins = REPO_ROOT / "plugins"
    assert [p for p in find_path_from_directory(plugins, ".airflowignore", "glob") if p.endswith(".py")] == []
    assert any((plugins / "socialpulse").glob("*.py"))
