"""`make bench` at a tiny scale, so that it cannot rot: bench/bench.py end to end in a subprocess.

12 accounts (the demo region), history of 10 and of 5 days, the incremental day through
plain steps and through Airflow. Asserts what the bench must have measured and done, never
how long it took (the machine is shared).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date

import duckdb
import pytest

from socialpulse.settings import REPO_ROOT

pytestmark = pytest.mark.integration

DAY = date(2026, 11, 25)  # bench.END + 1: the incremental day
FULL, SHORT = 10, 5  # bench.SCALES["tiny"]: 12 accounts, 10 and 5 days of history
STEPS = ("load", "audit_raw", "dbt", "audit_marts", "publish", "total")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "SOCIALPULSE_HOME": str(root / "data")}
    for name in ("SOCIALPULSE_ACCOUNTS", "SOCIALPULSE_BUILD_DB", "SOCIALPULSE_SERVING_DB"):
        env.pop(name, None)
    out = root / "bench.json"
    cmd = [sys.executable, str(REPO_ROOT / "bench" / "bench.py"), "--scale", "tiny", "--json", str(out)]
    cmd += ["--parse-repeat", "1"]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return {"report": json.loads(out.read_text()), "stdout": proc.stdout, "workdir": root / "data" / "bench"}


def test_every_step_measured_with_rows(result):
    steps = {(s["run"], s["step"]): s for s in result["report"]["steps"]}
    expected = []
    for history in (FULL, SHORT):
        expected += [(f"full build, {history} d", s) for s in STEPS]
        expected += [(f"incremental day, {history} d", s) for s in (*STEPS, "floor (read day)")]
    airflow = ("airflow dags test (whole DAG)", "dbt stage (dbt.* tasks)")
    expected += [(f"Airflow incremental day, {FULL} d", s) for s in airflow]
    for key in expected:
        assert key in steps, f"missing step {key}"
        assert steps[key]["rows"] > 0, key
        assert steps[key]["peak_mb"] > 0, key
    # the report printed is the one table and the ratios
    assert "| scale | run | step | wall s | rows | peak RSS MB | note |" in result["stdout"]


def test_ratios_are_numbers(result):
    ratios = {r["ratio"]: r["value"] for r in result["report"]["ratios"]}
    assert set(ratios) == {
        "incremental_over_full",
        "incremental_history_growth",
        "airflow_over_plain_dbt",
        "incremental_over_floor",
    }
    for name, value in ratios.items():
        assert isinstance(value, float) and value > 0, (name, value)
    parse = result["report"]["dag_parse"]
    assert {p["file"] for p in parse} == {p.name for p in (REPO_ROOT / "dags").glob("*.py")}
    assert all(isinstance(p["median_s"], float) for p in parse)


def test_incremental_loaded_only_the_new_day(result):
    scale = result["report"]["scales"][0]
    assert (scale["accounts"], scale["history_days"], scale["short_history_days"]) == (12, FULL, SHORT)
    assert scale["day"] == DAY.isoformat()
    for history in (FULL, SHORT):
        inc = scale["incremental"][f"{history} d"]
        assert inc["day_files"] > 0
        assert inc["files_loaded"] == inc["day_files"]
        assert inc["ds_loaded"] == [DAY.isoformat()]
        assert inc["max_ds"] == DAY.isoformat()
    # the day does not depend on the history it lands on
    assert scale["day_files_identical"] is True


def test_published_warehouse_holds_the_day(result):
    for history in (FULL, SHORT):
        serving = result["workdir"] / "runs" / "tiny" / f"h{history}" / "warehouse.duckdb"
        with duckdb.connect(str(serving), read_only=True) as con:
            newest = con.execute("select max(report_date) from marts.fct_account_daily").fetchone()[0]
            published = con.execute("select ds from marts._published").fetchone()[0]
            marts = {
                f"marts.{r[0]}"
                for r in con.execute(
                    "select table_name from information_schema.tables "
                    "where table_schema = 'marts' and table_name <> '_published'"
                ).fetchall()
            }
        assert newest == DAY
        assert published == DAY
        # the day's publish says what it did to each mart, and wrote at most what it serves
        out = json.loads((serving.parent / "bench" / "publish.out.json").read_text())
        assert set(out["changes"]) == marts
        assert all(re.fullmatch(r"unchanged|rewritten|new|-\d+ \+\d+ rows", c) for c in out["changes"].values())
        assert out["changed"] == sum(c != "unchanged" for c in out["changes"].values())
        assert 0 < out["written"] <= out["rows"]
    # the Airflow run published the same day
    assert result["report"]["scales"][0]["airflow"]["published_max_report_date"] == DAY.isoformat()
