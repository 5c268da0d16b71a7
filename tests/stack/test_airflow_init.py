"""stack/airflow/init.sh run natively against SQLite, as the native stack runs it (the
airflow-init service runs the same script in the container): twice, to show it is
idempotent, then its pool, passwords file and webhook connection are read back."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from socialpulse.settings import NO_TELEMETRY

REPO_ROOT = Path(__file__).resolve().parents[2]
INIT = REPO_ROOT / "stack" / "airflow" / "init.sh"
BIN = Path(sys.executable).parent
WEBHOOK_URL = "https://hooks.example.org:8443/services/T000/B000/not-a-real-secret?channel=veille"
WEBHOOK_TOKEN = "webhook-token-not-secret"
SECRETS = ("first-password-not-secret", 'second "password" not secret', WEBHOOK_TOKEN, "not-a-real-secret")


def init_env(home: Path, password: str) -> dict[str, str]:
    """What a caller passes: Airflow's settings, the admin, the webhook, PATH with the venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIALPULSE_"))}
    env.update(NO_TELEMETRY)
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(home / "airflow"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow' / 'airflow.db'}",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "ops:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "auth" / "passwords.json"),
            "AIRFLOW_ADMIN_USERNAME": "ops",
            "AIRFLOW_ADMIN_PASSWORD": password,
            "SOCIALPULSE_ALERTS_WEBHOOK_URL": WEBHOOK_URL,
            "SOCIALPULSE_ALERTS_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        }
    )
    return env


def run_init(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(INIT)], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def airflow_json(env: dict[str, str], *args: str):
    proc = subprocess.run(["airflow", *args, "-o", "json"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout[proc.stdout.index("[") :])


@pytest.fixture(scope="module")
def initialised(tmp_path_factory):
    """init.sh twice; between the runs the password changes and another user appears."""
    home = tmp_path_factory.mktemp("stack")
    first = run_init(init_env(home, SECRETS[0]), cwd=home)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    passwords = home / "auth" / "passwords.json"
    after_first = json.loads(passwords.read_text())
    passwords.write_text(json.dumps({**after_first, "viewer": "kept"}))
    env = init_env(home, SECRETS[1])
    second = run_init(env, cwd=home)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    return {"env": env, "home": home, "runs": [first, second], "after_first": after_first}


@pytest.mark.integration
def test_passwords_file(initialised):
    passwords = initialised["home"] / "auth" / "passwords.json"
    assert initialised["after_first"] == {"ops": SECRETS[0]}
    assert json.loads(passwords.read_text()) == {"ops": SECRETS[1], "viewer": "kept"}
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600
    assert [p.name for p in passwords.parent.iterdir()] == ["passwords.json"]  # no temporary file left


@pytest.mark.integration
def test_writer_pool_has_one_slot(initialised):
    pools = airflow_json(initialised["env"], "pools", "list")
    writer = [p for p in pools if p["pool"] == "socialpulse_duckdb_writer"]
    assert len(writer) == 1 and int(writer[0]["slots"]) == 1


@pytest.mark.integration
def test_webhook_connection_is_what_the_notifier_reads(initialised, monkeypatch):
    from airflow.sdk import BaseHook, Connection

    from socialpulse import notifiers

    (conn,) = airflow_json(initialised["env"], "connections", "get", "socialpulse_alerts_webhook")
    assert conn["conn_type"] == "http"
    fields = {k: conn[k] for k in ("host", "schema", "login", "password")}
    stored = Connection(
        conn_id=conn["conn_id"],
        conn_type="http",
        port=int(conn["port"]),
        extra=json.dumps(conn["extra_dejson"]),
        **fields,
    )
    monkeypatch.setattr(BaseHook, "get_connection", classmethod(lambda cls, conn_id: stored))
    target = notifiers.webhook_target()
    assert target is not None
    assert target.url == WEBHOOK_URL
    assert target.headers["Authorization"] == f"Bearer {WEBHOOK_TOKEN}"


@pytest.mark.integration
def test_no_secret_in_the_output(initialised):
    for run in initialised["runs"]:
        for secret in SECRETS:
            assert secret not in run.stdout + run.stderr


def test_refuses_to_run_without_an_admin_password(tmp_path):
    env = init_env(tmp_path, "")
    env.pop("AIRFLOW_ADMIN_PASSWORD")
    proc = run_init(env, cwd=tmp_path)
    assert proc.returncode != 0
    assert "AIRFLOW_ADMIN_PASSWORD" in proc.stderr
    assert not (tmp_path / "airflow").exists()  # stopped before touching anything
