"""The services of docker-compose.yml, started as local processes.

No Docker engine runs on the development machines, so `make stack-test` (and
`make stack-up`, to look at the UI) start what the compose file starts, natively:
PostgreSQL for Airflow's metadata (the Debian package; installed and started when
missing), the init script of the `airflow-init` service (stack/airflow/init.sh), the
api-server, scheduler, dag-processor and triggerer with the LocalExecutor, and the
sandbox. Every process started here is stopped by its pid (its process group), and
PostgreSQL is stopped again when this module started it.

Secrets of a run (metadata-database password, JWT and Fernet keys, the admin
password) are generated per run and passed through the environment only.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from socialpulse.runner import BIN, free_port, pipeline_env
from socialpulse.settings import REPO_ROOT, Settings

INIT_SCRIPT = REPO_ROOT / "stack" / "airflow" / "init.sh"
AIRFLOW_SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")


class StackError(RuntimeError):
    pass


def _as_postgres(args: list[str]) -> list[str]:
    """Run a PostgreSQL client command as the `postgres` superuser (peer authentication)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return ["sudo", "-n", "-u", "postgres", *args]


def _root(args: list[str]) -> list[str]:
    return args if os.geteuid() == 0 else ["sudo", "-n", *args]


def _check(cmd: list[str], what: str, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise StackError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
    return proc


@dataclass
class Postgres:
    """The machine's PostgreSQL cluster (Debian's pg_ctlcluster), started when it is down."""

    port: int = 5432
    started_here: bool = False
    cluster: tuple[str, str] | None = None

    def ensure(self) -> None:
        if shutil.which("pg_ctlcluster") is None:
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            _check(_root(["apt-get", "update", "-qq"]), "apt-get update", env=env)
            _check(_root(["apt-get", "install", "-y", "-qq", "postgresql"]), "apt-get install postgresql", env=env)
        clusters = [
            line.split()
            for line in _check(["pg_lsclusters", "--no-header"], "pg_lsclusters").stdout.splitlines()
            if line.strip()
        ]
        if not clusters:
            raise StackError("PostgreSQL is installed but has no cluster: run `pg_createcluster <version> main`")
        version, name, port, status = clusters[0][:4]
        self.cluster, self.port = (version, name), int(port)
        if status != "online":
            _check(
                _root(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"]),
                f"starting PostgreSQL {version}/{name}",
            )
            self.started_here = True

    def psql(self, sql: str) -> str:
        return _check(
            _as_postgres(["psql", "-p", str(self.port), "-v", "ON_ERROR_STOP=1", "-qAtc", sql]), "psql"
        ).stdout

    def fresh_database(self, name: str, role: str, password: str) -> str:
        """A new, empty database owned by `role` (recreated on every run); returns its URL."""
        exists = self.psql(f"select 1 from pg_roles where rolname = '{role}'").strip()
        verb = "alter" if exists else "create"
        self.psql(f"{verb} role {role} login password '{password}'")
        self.psql(f"drop database if exists {name} with (force)")
        self.psql(f"create database {name} owner {role}")
        return f"postgresql+psycopg2://{role}:{password}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.started_here and self.cluster:
            subprocess.run(
                _root(["pg_ctlcluster", "--skip-systemctl-redirect", *self.cluster, "stop"]), capture_output=True
            )


@dataclass
class Process:
    name: str
    proc: subprocess.Popen
    log: Path

    def stop(self, timeout: float = 20) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass


@dataclass
class NativeStack:
    """What `docker compose up` runs, as processes of this machine; use `NativeStack.up()`."""

    home: Path
    today: date
    api_port: int = 0
    admin_user: str = "admin"
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    processes: list[Process] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def log_dir(self) -> Path:
        return self.home / "stack" / "logs"

    def start(self, name: str, cmd: list[str]) -> Process:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        with open(log, "w") as fh:
            proc = subprocess.Popen(
                cmd, env=self.env, cwd=REPO_ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = Process(name, proc, log)
        self.processes.append(process)
        (self.home / "stack" / "pids.json").write_text(json.dumps({p.name: p.proc.pid for p in self.processes}))
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def tail(self, name: str, lines: int = 40) -> str:
        log = self.log_dir / f"{name}.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""

    def check_alive(self) -> None:
        for p in self.processes:
            if p.proc.poll() is not None:
                raise StackError(f"{p.name} exited with {p.proc.returncode}; its log ({p.log}):\n{self.tail(p.name)}")

    @classmethod
    @contextmanager
    def up(
        cls, home: Path, today: date, *, seed: int = 42, sandbox_port: int = 0, admin_password: str | None = None
    ) -> Iterator[NativeStack]:
        """PostgreSQL, init, sandbox and the four Airflow services; everything stopped on exit."""
        stack = cls(home=home, today=today, api_port=free_port())
        if admin_password:
            stack.admin_password = admin_password
        postgres = Postgres()
        with ExitStack() as cleanup:
            cleanup.callback(stack.stop)
            postgres.ensure()
            cleanup.callback(postgres.stop)
            db_url = postgres.fresh_database(
                "socialpulse_airflow_stack", "socialpulse_airflow", secrets.token_urlsafe(16)
            )
            sandbox_port = sandbox_port or free_port()
            sandbox_url = f"http://127.0.0.1:{sandbox_port}"
            stack.env = stack._airflow_env(db_url, sandbox_url)
            stack._init()
            sandbox = stack.start(
                "sandbox",
                [str(BIN / "socialpulse"), "sandbox", "serve", "--port", str(sandbox_port),
                 "--seed", str(seed), "--today", today.isoformat(), "--quiet"],
            )  # fmt: skip
            stack._wait_http(f"{sandbox_url}/__sandbox__/health", sandbox)
            for service in AIRFLOW_SERVICES:
                stack.start(service, [str(BIN / "airflow"), *service.split()])
            stack._wait_http(f"{stack.api_url}/api/v2/monitor/health", stack.processes[-4], timeout=120)
            yield stack

    def _airflow_env(self, db_url: str, sandbox_url: str) -> dict[str, str]:
        settings = dataclasses.replace(Settings.from_env(), home=self.home)
        airflow_home = self.home / "stack" / "airflow"
        airflow_home.mkdir(parents=True, exist_ok=True)
        env = pipeline_env(settings, sandbox_url)
        env.update(
            {
                "SOCIALPULSE_HOME": str(self.home),
                "AIRFLOW_HOME": str(airflow_home),
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(airflow_home / "logs"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url,
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
                "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{self.admin_user}:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(airflow_home / "passwords.json"),
                "AIRFLOW_ADMIN_USERNAME": self.admin_user,
                "AIRFLOW_ADMIN_PASSWORD": self.admin_password,
            }
        )
        return env

    def _init(self) -> None:
        """The compose file's `airflow-init` service: the same script."""
        proc = subprocess.run(["bash", str(INIT_SCRIPT)], env=self.env, cwd=REPO_ROOT, capture_output=True, text=True)
        (self.log_dir).mkdir(parents=True, exist_ok=True)
        (self.log_dir / "airflow-init.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise StackError(
                f"{INIT_SCRIPT.name} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
            )

    def _wait_http(self, url: str, process: Process, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise StackError(f"{process.name} did not answer {url} within {timeout:.0f} s:\n{self.tail(process.name)}")

    def api(self) -> AirflowAPI:
        return AirflowAPI(self.api_url, self.admin_user, self.admin_password)


class AirflowAPI:
    """Airflow's REST API v2, authenticated with a JWT from /auth/token."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = {"username": username, "password": password}
        self.client = httpx.Client(base_url=self.base_url, timeout=30)
        self._login()

    def _login(self) -> None:
        r = self.client.post("/auth/token", json=self._credentials)
        if r.status_code not in (200, 201):
            raise StackError(f"POST /auth/token: {r.status_code} {r.text[:300]}")
        self.client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def request(self, method: str, path: str, **kw) -> httpx.Response:
        r = self.client.request(method, f"/api/v2{path}", **kw)
        if r.status_code == 401:  # token expired
            self._login()
            r = self.client.request(method, f"/api/v2{path}", **kw)
        return r

    def json(self, method: str, path: str, ok: tuple[int, ...] = (200,), **kw) -> dict:
        r = self.request(method, path, **kw)
        if r.status_code not in ok:
            raise StackError(f"{method} /api/v2{path}: {r.status_code} {r.text[:500]}")
        return r.json()

    def health(self) -> dict:
        return self.json("GET", "/monitor/health")

    def dag_ids(self) -> set[str]:
        return {d["dag_id"] for d in self.json("GET", "/dags", params={"limit": 100})["dags"]}

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.json("PATCH", f"/dags/{dag_id}", json={"is_paused": paused})

    def trigger(self, dag_id: str, day: date, conf: dict | None = None) -> str:
        """A run for one UTC day: the same logical date and data interval as the scheduler's."""
        start, end = f"{day}T00:00:00Z", f"{day + timedelta(days=1)}T00:00:00Z"
        body = {"logical_date": start, "data_interval_start": start, "data_interval_end": end, "conf": conf or {}}
        return self.json("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"]

    def runs(self, dag_id: str) -> list[dict]:
        return self.json("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100, "order_by": "run_after"})["dag_runs"]

    def queued_asset_events(self, dag_id: str) -> int:
        r = self.request("GET", f"/dags/{dag_id}/assets/queuedEvents")
        return r.json().get("total_entries", 0) if r.status_code == 200 else 0

    def backfill(
        self, dag_id: str, first: date, last: date, conf: dict | None = None, max_active_runs: int = 1
    ) -> dict:
        """Runs for the UTC days first..last (the scheduler runs them, `max_active_runs` at a time)."""
        body = {
            "dag_id": dag_id,
            "from_date": f"{first}T00:00:00Z",
            "to_date": f"{last}T00:00:00Z",
            "dag_run_conf": conf or {},
            "reprocess_behavior": "completed",
            "max_active_runs": max_active_runs,
        }
        return self.json("POST", "/backfills", json=body)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.json("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})[
            "task_instances"
        ]

    def failure_logs(self, dag_id: str, run_id: str, max_chars: int = 6000) -> str:
        """The logs of the run's failed tasks: what a failure prints."""
        parts = []
        for ti in self.task_instances(dag_id, run_id):
            if ti["state"] != "failed":
                continue
            params = {"map_index": ti["map_index"], "full_content": True}
            path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{ti['task_id']}/logs/{max(ti['try_number'], 1)}"
            r = self.request("GET", path, params=params, headers={"Accept": "application/json"})
            content = r.json().get("content", []) if r.status_code == 200 else [r.text]
            text = "\n".join(
                f"{e.get('timestamp', '')} {e.get('level', '')} {e.get('event', '')}" if isinstance(e, dict) else str(e)
                for e in content
            )
            parts.append(f"--- {dag_id} / {run_id} / {ti['task_id']}[{ti['map_index']}] ---\n{text[-max_chars:]}")
        return "\n".join(parts) or f"(no failed task in {dag_id} / {run_id})"


def main() -> None:
    """`make stack-up`: the stack in the foreground, for a look at the UI; Ctrl-C stops it all."""
    settings = Settings.from_env()
    home = settings.home / "stack-up"
    home.mkdir(parents=True, exist_ok=True)
    password = os.environ.get("AIRFLOW_ADMIN_PASSWORD")
    with NativeStack.up(home, date.today(), admin_password=password) as stack:
        shown = "from AIRFLOW_ADMIN_PASSWORD" if password else f"{stack.admin_password} (generated for this run)"
        print(f"Airflow UI and API: {stack.api_url}  (user {stack.admin_user}, password {shown})")
        print(f"logs: {stack.log_dir}; DAGs are paused: unpause them in the UI. Ctrl-C stops everything.")
        try:
            while True:
                stack.check_alive()
                time.sleep(5)
        except KeyboardInterrupt:
            print("stopping ...")


if __name__ == "__main__":
    main()
