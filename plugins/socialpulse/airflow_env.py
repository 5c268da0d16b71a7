"""The environment an embedded Airflow needs: `make demo`, the tests and `make airflow-*`.

Airflow's home (metadata SQLite, logs) lives under $SOCIALPULSE_HOME/airflow, its DAGs
and plugins are this repository's, and every telemetry switch is off.
"""

from __future__ import annotations

from socialpulse.settings import NO_TELEMETRY, REPO_ROOT, Settings


def airflow_env(settings: Settings) -> dict[str, str]:
    home = settings.home / "airflow"
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        # Cosmos' cache (partial parse, profiles) with the home, not in the machine's shared /tmp
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos"),
        # Cosmos' watcher producer would otherwise rewrite its whole XCom backup (every
        # status and compiled SQL so far, compressed) into an Airflow Variable after each
        # XCom it pushes: quadratic, and about 20 s of the build DAG's dbt build. Off, the
        # backup is still written once when the producer fails (its failure callback), for
        # a cleared producer to restore; the producer is not retried (retries=0).
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        "SOCIALPULSE_HOME": str(settings.home),
        **NO_TELEMETRY,
    }
