"""Crash safety: a step killed (SIGKILL) in the middle leaves every store consistent,
and its rerun gives the marts of an uninterrupted run.

The reference run (conftest) runs days 1, 2 and 3 in order. Here a copy of its home
after day 2 runs day 3 again, each step a real child process killed at a point it
reaches deterministically: extract once it has written its first landing file of the
day, load once its first transaction has committed (the build database's WAL exists),
dbt once it has created a number of models, publish once its temporary serving
database exists. After each kill: landing holds only complete Parquet files (a temp
file, if any, is never taken for a partition), the build database opens with a load
log that matches its raw rows, and the serving database opens and is still day 2's.
Each step is then rerun, and the final marts equal the reference run's.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from socialpulse.landing import list_partitions
from socialpulse.landing_schemas import schema_for
from socialpulse.load import raw_table
from socialpulse.settings import REPO_ROOT
from tests.integration.conftest import DAYS, PLATFORMS

pytestmark = pytest.mark.integration

DAY = DAYS[2]


def kill_when(cmd: list[str], env: dict[str, str], ready: Callable[[str], bool], timeout: float = 300) -> str:
    """Start `cmd`, SIGKILL it as soon as `ready(output so far)` holds; fail if it ends first."""
    log = Path(env["SOCIALPULSE_HOME"]) / "logs" / f"killed-{Path(cmd[0]).name}-{cmd[1]}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO_ROOT, stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    try:
        while True:
            out = log.read_text(errors="replace")
            if ready(out):
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return out
            if proc.poll() is not None:
                pytest.fail(f"{' '.join(cmd[:2])} ended (exit {proc.returncode}) before the kill point:\n{out[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"{' '.join(cmd[:2])}: kill point not reached in {timeout} s")
            time.sleep(0.002)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def temp_files(home: Path) -> list[Path]:
    return sorted(p for p in home.rglob("*") if p.is_file() and (p.name.endswith(".tmp") or ".tmp." in p.name))


def assert_landing_complete(landing: Path) -> None:
    """Every file the loader would take is a complete Parquet file of its entity's schema,
    and nothing else under landing/ looks like a partition."""
    listed = {path for _, path in list_partitions(landing, hourly=None)}
    for part, path in list_partitions(landing, hourly=None):
        table = pq.read_table(path)  # raises on a truncated file
        assert table.schema.names == schema_for(part.platform, part.entity).names, path
    for path in landing.rglob("*"):
        if path.is_file() and path not in listed:
            assert path.name.startswith(".") and path.name.endswith(".tmp"), f"{path}: neither a partition nor a temp"


def assert_build_consistent(build_db: Path) -> None:
    """The build database opens, and every file the load log calls loaded has exactly its rows in raw."""
    with duckdb.connect(str(build_db), read_only=True) as con:
        logged = con.execute("select landing_file, platform, entity, row_count from raw._load_log").fetchall()
        for rel, platform, entity, rows in logged:
            found = con.execute(
                f"select count(*) from {raw_table(platform, entity)} where _landing_file = ?", [f"landing/{rel}"]
            ).fetchone()[0]
            assert found == rows, f"{rel}: load log says {rows} rows, raw holds {found}"


@pytest.fixture(scope="module")
def crashed(reference_run, pipeline, tmp_path_factory):
    home = tmp_path_factory.mktemp("crash") / "data"
    shutil.copytree(reference_run["after_day_2"], home, symlinks=True)
    pipe = pipeline(home)
    serving, landing, build = pipe.settings.serving_db, pipe.settings.landing_dir, pipe.settings.build_db
    seen: dict[str, object] = {}

    def check(step: str) -> None:
        assert_landing_complete(landing)
        assert_build_consistent(build)
        seen[step] = pipe.marts()  # the serving database opens ...
        assert seen[step] == reference_run["before"], f"after {step} was killed the serving marts changed"

    day_files = f"ds={DAY.isoformat()}/"
    with pipe.sandbox(DAY) as url:
        env = pipe.env(url)
        first = PLATFORMS[0]
        kill_when(
            pipe.extract_cmd(DAY, first),
            env,
            lambda _: any(landing.glob(f"platform={first}/entity=*/{day_files}*.parquet")),
        )
        check("extract")
        written = [p for p in landing.rglob("*.parquet") if day_files in p.as_posix()]
        for platform in PLATFORMS:
            pipe.run(pipe.extract_cmd(DAY, platform), env)

    env = pipe.env()
    wal = Path(str(build) + ".wal")
    assert not wal.exists()
    kill_when(pipe.load_cmd(), env, lambda _: wal.exists())
    check("load")
    with duckdb.connect(str(build), read_only=True) as con:
        logged = con.execute("select count(*) from raw._load_log where ds = ?", [DAY]).fetchone()[0]
    pipe.run(pipe.load_cmd(), env)

    kill_when(pipe.dbt_cmd(), env, lambda out: out.count(" OK created ") >= 25)
    check("dbt")
    pipe.run(pipe.dbt_cmd(), env)

    pattern = f".{serving.name}.*.tmp"
    kill_when(pipe.publish_cmd(), env, lambda _: any(serving.parent.glob(pattern)))
    check("publish")
    pipe.run(pipe.publish_cmd(), env)
    return {
        "pipe": pipe,
        "partial_extract": written,
        "logged_at_load_kill": logged,
        "day_files": len([p for p in landing.rglob("*.parquet") if day_files in p.as_posix()]),
        "marts": pipe.marts(),
        "strays": temp_files(home),
    }


def test_the_killed_extract_had_written_part_of_the_day(crashed):
    assert crashed["partial_extract"], "the extract was killed before writing anything of the day"


def test_the_killed_load_had_not_logged_the_whole_day(crashed):
    assert crashed["logged_at_load_kill"] < crashed["day_files"]


def test_after_the_reruns_the_marts_equal_those_of_an_uninterrupted_run(crashed, reference_run):
    assert crashed["marts"] == reference_run["after"]
    assert crashed["marts"] != reference_run["before"], "day 3 changed nothing: the comparison proves nothing"


def test_no_temporary_file_is_left_behind(crashed):
    assert crashed["strays"] == []


def test_the_serving_database_is_the_rerun_publish(crashed):
    with duckdb.connect(str(crashed["pipe"].settings.serving_db), read_only=True) as con:
        assert con.execute("select ds from marts._published").fetchone()[0] == DAY
    assert not any(os.path.exists(str(crashed["pipe"].settings.serving_db) + suffix) for suffix in (".wal",))
