"""Shared by the crash-safety, idempotency and secrets tests: the pipeline's steps as
the processes an operator (or a killed Airflow worker) would run, and one reference run.

Each step is a real child process: `socialpulse extract` against an in-thread
sandbox whose "today" is the day after the one extracted (so a day answers the same
whenever it is extracted), `socialpulse load`, `dbt build` (models and seeds; the
tests do not change the marts) with the `as_of` the build DAG passes, and
`socialpulse publish`; each step's output goes to `$SOCIALPULSE_HOME/logs/`. The
reference run's last day goes through Airflow instead (extract DAGs, build DAG), so
the steps by hand are compared with the DAGs, and the secrets scan reads its task logs.

Every run of the session uses the same API tokens and pseudonymisation key, distinct
per platform and drawn for the session, which the sandbox is told to accept. Tests get
`Pipeline` and the secrets through fixtures: a test module importing this file gets a
second copy of the module, with other secrets.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from sandbox.server import serve_in_thread
from socialpulse.runner import BIN, PipelineFailed, dag_test, ensure_airflow, ensure_manifest, pipeline_env
from socialpulse.settings import REPO_ROOT, Settings
from tests.integration.test_end_to_end import snapshot

SEED = 42
# Facebook: daily series, posts, insights and comments, every shape of raw table; Instagram:
# commenters known by a handle. Both Graph platforms, whose sandbox accepts any registered token.
PLATFORMS = ("facebook", "instagram")
DAYS = (date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18))
TOKENS = {p: f"sp{p}tok{secrets.token_hex(12)}" for p in PLATFORMS}
PSEUDONYM_KEY = f"sppseudokey{secrets.token_hex(16)}"


class Pipeline:
    """The steps of one pipeline home (`SOCIALPULSE_HOME`), each a child process."""

    def __init__(self, home: Path):
        self.home = home
        self.steps = 0
        old = os.environ.get("SOCIALPULSE_HOME")
        os.environ["SOCIALPULSE_HOME"] = str(home)
        try:
            self.settings = Settings.from_env()
        finally:
            if old is None:
                os.environ.pop("SOCIALPULSE_HOME")
            else:
                os.environ["SOCIALPULSE_HOME"] = old

    def env(self, sandbox_url: str = "http://127.0.0.1:9") -> dict[str, str]:
        env = pipeline_env(self.settings, sandbox_url)
        env["SOCIALPULSE_HOME"] = str(self.home)
        env["SOCIALPULSE_PSEUDONYM_KEY"] = PSEUDONYM_KEY
        for platform, token in TOKENS.items():
            env[f"SOCIALPULSE_{platform.upper()}_TOKEN"] = token
        # dbt's artifacts of this home, not the shared dbt_project/target of other runs
        env["DBT_TARGET_PATH"] = str(self.home / "dbt_target")
        env["DBT_LOG_PATH"] = str(self.home / "dbt_logs")
        return env

    @contextmanager
    def sandbox(self, ds: date) -> Iterator[str]:
        handle = serve_in_thread(port=0, seed=SEED, today=ds + timedelta(days=1), quiet=True)
        for platform, token in TOKENS.items():
            handle.server.app.platforms[platform].tokens.register(token)
        try:
            yield handle.url
        finally:
            handle.stop()

    def extract_cmd(self, ds: date, platform: str) -> list[str]:
        return [str(BIN / "socialpulse"), "extract", "--platform", platform, "--ds", ds.isoformat()]

    def load_cmd(self) -> list[str]:
        return [str(BIN / "socialpulse"), "load"]

    def dbt_cmd(self) -> list[str]:
        as_of = self.max_ds() + timedelta(days=1)  # what the build DAG passes: the day after the newest loaded
        return [
            str(BIN / "dbt"),
            "build",
            "--project-dir",
            "dbt_project",
            "--profiles-dir",
            "dbt_project",
            "--exclude-resource-type",
            "test",
            "unit_test",
            "--vars",
            json.dumps({"as_of": as_of.isoformat()}),
        ]

    def publish_cmd(self) -> list[str]:
        return [str(BIN / "socialpulse"), "publish", "--ds", self.max_ds().isoformat()]

    def max_ds(self) -> date:
        with duckdb.connect(str(self.settings.build_db), read_only=True) as con:
            return con.execute("select max(ds) from raw._load_log where landing_file not like '%/hour=%'").fetchone()[0]

    def log_file(self, cmd: list[str]) -> Path:
        self.steps += 1
        path = self.home / "logs" / f"{self.steps:02d}-{Path(cmd[0]).name}-{cmd[1]}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def run(self, cmd: list[str], env: dict[str, str]) -> str:
        log = self.log_file(cmd)
        with open(log, "w") as fh:
            proc = subprocess.run(cmd, env=env, cwd=REPO_ROOT, stdout=fh, stderr=subprocess.STDOUT)
        out = log.read_text(errors="replace")
        if proc.returncode != 0:
            raise PipelineFailed(f"{' '.join(cmd)} failed (log {log}):\n{out[-3000:]}")
        return out

    def day(self, ds: date) -> None:
        """One day, as the DAGs run it: extract, load, dbt, publish."""
        with self.sandbox(ds) as url:
            for platform in PLATFORMS:
                self.run(self.extract_cmd(ds, platform), self.env(url))
        env = self.env()
        self.run(self.load_cmd(), env)
        self.run(self.dbt_cmd(), env)
        self.run(self.publish_cmd(), env)

    def day_through_airflow(self, ds: date) -> None:
        """One day as Airflow runs it: the extract DAGs, then the build DAG (load, dbt with its
        tests, audits, publish, docs), each under `airflow dags test`."""
        with self.sandbox(ds) as url:
            env = self.env(url)
            for name in ("DBT_TARGET_PATH", "DBT_LOG_PATH"):  # Cosmos reads dbt_project/target
                env.pop(name)
            ensure_manifest(env)
            ensure_airflow(env)
            for platform in PLATFORMS:
                dag_test(f"socialpulse_extract_{platform}", ds, env, self.settings)
            dag_test("socialpulse_build", ds, env, self.settings)

    def marts(self) -> dict[str, list[tuple]]:
        return snapshot(self.settings.serving_db)


@pytest.fixture(scope="session")
def pipeline() -> type[Pipeline]:
    return Pipeline


@pytest.fixture(scope="session")
def session_secrets() -> dict:
    return {"tokens": dict(TOKENS), "pseudonym_key": PSEUDONYM_KEY}


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory):
    """Days 1, 2 and 3 in order, each run once (the last through Airflow); keeps a copy
    of the home after day 2."""
    root = tmp_path_factory.mktemp("reference")
    pipe = Pipeline(root / "data")
    pipe.day(DAYS[0])
    pipe.day(DAYS[1])
    after_day_2 = root / "after_day_2"
    shutil.copytree(pipe.home, after_day_2, symlinks=True)
    before = pipe.marts()
    pipe.day_through_airflow(DAYS[2])
    return {"pipe": pipe, "root": root, "after_day_2": after_day_2, "before": before, "after": pipe.marts()}
