"""Running the pipeline through Airflow itself, without a scheduler.

`make demo` and the end-to-end tests use this: it starts the sandbox on a free local
port, prepares an embedded Airflow (SQLite metadata under $SOCIALPULSE_HOME/airflow,
the DuckDB writer pool), and runs the DAGs with `airflow dags test`, which executes
every task for real (TaskFlow, mapped tasks, Cosmos, the audit operator).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from socialpulse.airflow_env import airflow_env
from socialpulse.dag_defaults import DUCKDB_WRITER_POOL
from socialpulse.settings import REPO_ROOT, Settings

BIN = Path(sys.executable).parent


class PipelineFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def sandbox_server(
    today: date, *, seed: int = 42, port: int | None = None, extra_args: list[str] | None = None
) -> Iterator[str]:
    """A sandbox in a child process; yields its base URL and stops it afterwards."""
    port = port or free_port()
    cmd = [
        str(BIN / "socialpulse"),
        "sandbox",
        "serve",
        "--port",
        str(port),
        "--seed",
        str(seed),
        "--today",
        today.isoformat(),
        *(extra_args or []),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/__sandbox__/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise PipelineFailed(f"sandbox did not start on port {port}: {' '.join(cmd)}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def pseudonym_key(settings: Settings) -> str:
    """The configured key, or a local one kept under $SOCIALPULSE_HOME/secrets (demo only)."""
    if settings.pseudonym_key:
        return settings.pseudonym_key
    path = settings.home / "secrets" / "pseudonym.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def pipeline_env(settings: Settings, sandbox_url: str) -> dict[str, str]:
    env = {**os.environ, **airflow_env(settings), **settings.dbt_env()}
    env["SOCIALPULSE_SANDBOX_URL"] = sandbox_url
    for platform in ("facebook", "instagram", "linkedin", "x", "bluesky", "mastodon"):
        env.setdefault(f"SOCIALPULSE_{platform.upper()}_TOKEN", "sandbox-token")  # what the sandbox accepts
    env["SOCIALPULSE_PSEUDONYM_KEY"] = pseudonym_key(settings)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(cmd: list[str], env: dict[str, str], log_file: Path | None = None) -> subprocess.CompletedProcess:
    """Run a command; with `log_file`, its output streams there (readable while it runs)."""
    if log_file is None:
        return subprocess.run(cmd, env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "w") as fh:
        proc = subprocess.run(cmd, env=env, cwd=REPO_ROOT, stdout=fh, stderr=subprocess.STDOUT, text=True)
    return subprocess.CompletedProcess(cmd, proc.returncode, log_file.read_text(errors="replace"), "")


# What `dbt parse` reads: a manifest newer than all of them is current.
MANIFEST_INPUTS = ("dbt_project.yml", "packages.yml", "models", "macros", "seeds", "tests", "snapshots", "analyses")


def manifest_is_current(project: Path) -> bool:
    """True when `project/target/manifest.json` is newer than every file dbt parses."""
    manifest = project / "target" / "manifest.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime_ns
    for name in MANIFEST_INPUTS:
        path = project / name
        files = path.rglob("*") if path.is_dir() else [path] if path.exists() else []
        if any(f.stat().st_mtime_ns > built for f in files):
            return False
    return True


def ensure_manifest(env: dict[str, str]) -> None:
    """`dbt parse` into dbt_project/target unless its manifest is current.

    Under an exclusive lock on dbt_project/target/.parse.lock, so that parallel runs (test
    workers, a demo beside a bench) parse one at a time. A current manifest is left alone:
    another process may be rendering the build DAG from it, and dbt rewrites it in place.
    """
    project = REPO_ROOT / "dbt_project"
    manifest = project / "target" / "manifest.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest_is_current(project):
            return
        cmd = [str(BIN / "dbt"), "parse", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project", "--quiet"]
        proc = _run(cmd, env)
        if proc.returncode != 0 or not manifest.exists():
            raise PipelineFailed(f"dbt parse failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def ensure_airflow(env: dict[str, str]) -> None:
    for cmd in (
        ["airflow", "db", "migrate"],
        ["airflow", "pools", "set", DUCKDB_WRITER_POOL, "1", "single writer of the DuckDB build file"],
    ):
        proc = _run([str(BIN / cmd[0]), *cmd[1:]], env)
        if proc.returncode != 0:
            raise PipelineFailed(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def dag_test(
    dag_id: str, ds: date | datetime, env: dict[str, str], settings: Settings, conf: dict | None = None
) -> str:
    """`airflow dags test` for a logical date (a day, or an instant for the hourly veille);
    raises unless the run succeeded. Returns the captured output."""
    cmd = [str(BIN / "airflow"), "dags", "test", dag_id, ds.isoformat()]
    if conf:
        cmd += ["--conf", json.dumps(conf)]
    stamp = ds.strftime("%Y-%m-%dT%H%M") if isinstance(ds, datetime) else ds.isoformat()
    log_file = settings.home / "airflow" / "runs" / f"{dag_id}__{stamp}.log"
    proc = _run(cmd, env, log_file)
    out = proc.stdout + proc.stderr
    state = run_state(dag_id, out)
    if proc.returncode != 0 or state != "success":
        tail = "\n".join(out.splitlines()[-60:])
        raise PipelineFailed(
            f"{dag_id} {ds}: run ended {state or 'without a state'} "
            f"(exit {proc.returncode}); full log: {log_file}\n{tail}"
        )
    return out


_FINISHED = re.compile(r"DagRun Finished: dag_id=(?P<dag>[\w.-]+),.*?\bstate=(?P<state>\w+)")


def run_state(dag_id: str, output: str) -> str | None:
    """Final state of the run, from the `DagRun Finished` line `airflow dags test` logs."""
    states = [m["state"] for m in _FINISHED.finditer(output) if m["dag"] == dag_id]
    return states[-1] if states else None


def run_pipeline(settings: Settings, ds: date, *, days: int, platforms: list[str], sandbox_url: str, log=print) -> None:
    env = pipeline_env(settings, sandbox_url)
    log("dbt parse (manifest for Cosmos) ...")
    ensure_manifest(env)
    log("airflow db migrate, pool ...")
    ensure_airflow(env)
    for platform in platforms:
        log(f"airflow dags test socialpulse_extract_{platform} {ds} (days={days}) ...")
        dag_test(f"socialpulse_extract_{platform}", ds, env, settings, {"days": days})
    log(f"airflow dags test socialpulse_build {ds} ...")
    dag_test("socialpulse_build", ds, env, settings)


def veille_logical_date(ds: date) -> datetime:
    """The veille run that covers the last hour of `ds`: data interval [ds 23:00, ds + 1 00:00) UTC."""
    return datetime.combine(ds + timedelta(days=1), datetime.min.time(), UTC)


def run_veille(settings: Settings, ds: date, *, sandbox_url: str, log=print) -> str:
    """The hourly veille DAG once, for the last hour of `ds` (after `run_pipeline`)."""
    env = pipeline_env(settings, sandbox_url)
    logical = veille_logical_date(ds)
    log(f"airflow dags test socialpulse_veille {logical.isoformat()} (last hour of {ds}) ...")
    return dag_test("socialpulse_veille", logical, env, settings)


def default_ds() -> date:
    """Yesterday (UTC): the last full day the platforms can report."""
    return datetime.now(UTC).date() - timedelta(days=1)
