"""DAG file parse time, as Airflow's dag processor pays it. Prints a Markdown table;
`--record` appends it to bench/RESULTS.md.

What the dag processor does (Airflow 3.3, airflow/dag_processing/processor.py): its
manager process has Airflow loaded (the manager imports the DagBag, the serializer and
the models); before each parse it imports the `airflow.*` modules the file names
(`_pre_import_airflow_modules`), then forks a child that runs `_parse_file`: a DagBag of
that one file (the module's execution: its own imports, Cosmos, the manifest) and the
serialization of its DAGs, sent back to the manager. Airflow's plugins are not loaded
when the manager starts (`[core] lazy_load_plugins` is on by default), but it loads them
when it writes its first results (deserializing a DAG looks up timetable and priority
weight plugins), and every later child inherits them: so the first parse of a file
pays for the plugins it needs (e.g. an ObjectStoragePath loads them all), later ones
start with them (and with whatever they imported) in memory. Both are measured.

The probe does the same in a fresh interpreter per measurement: it imports
`airflow.dag_processing.manager` (for "later", also loads Airflow's plugins), pre-imports
the file's Airflow modules, and times `_parse_file` only. The earlier probe (`import airflow.sdk`, then time
`runpy.run_path`) was unfair both ways: it counted imports the manager already holds
(the models, the serializer) and left out the serialization the child also does.

Bytecode: a deployed Airflow has its `.pyc` files (pip compiles them into the image; a
running processor writes them on its first parse). With PYTHONDONTWRITEBYTECODE set (as
in some sandboxes) every parse would compile ~700 modules again (about +0.9 s for the
build DAG), so the probe writes bytecode to a private cache (PYTHONPYCACHEPREFIX, a
temporary directory) and parses each file once, untimed, before measuring.

Target (issue "speed and scale"): every DAG file parses in <= 0.5 s.
Cross-check with Airflow's own figure: `airflow dags report` (the DagBag's duration per
file, in one process that has imported everything already, so it reads lower).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from socialpulse.airflow_env import airflow_env  # noqa: E402
from socialpulse.settings import Settings  # noqa: E402

MARK = "PARSE_SECONDS="

PROBE = f"""
import os, sys, time
from pathlib import Path
import structlog
import airflow.dag_processing.manager  # what the manager has imported before it forks a parser
from airflow.dag_processing import processor
path = sys.argv[1]
log = structlog.get_logger()
if sys.argv[2] == "later":  # the manager after its first results: plugins loaded
    from airflow import plugins_manager
    plugins_manager.ensure_plugins_loaded()
processor._pre_import_airflow_modules(path, log)
os.environ["_AIRFLOW_PROCESS_CONTEXT"] = "client"  # as _parse_file_entrypoint, in the child
msg = processor.DagFileParseRequest(file=path, bundle_path=Path(path).parent, bundle_name="dags-folder")
t = time.perf_counter()
result = processor._parse_file(msg, log)
dt = time.perf_counter() - t
if result.import_errors or not result.serialized_dags:
    sys.exit(f"{{path}}: {{result.import_errors or 'no DAG'}}")
print("{MARK}%f" % dt)
"""


def parse_seconds(path: Path, env: dict[str, str], mode: str = "first") -> float:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), mode], env=env, capture_output=True, text=True, cwd=REPO, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"{path.name}: parse failed\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return float(next(line for line in out.stdout.splitlines() if line.startswith(MARK))[len(MARK) :])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("files", nargs="*", help="DAG files to time (default: every file of dags/)")
    args = ap.parse_args()
    pycache = tempfile.TemporaryDirectory(prefix="dag_parse_pyc_")
    env = {**os.environ, **airflow_env(Settings.from_env()), "PYTHONPYCACHEPREFIX": pycache.name}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    lines = [
        f"### DAG parse time — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"median of {args.repeat} fresh interpreters, each timing the dag processor's `_parse_file` "
        "(DagBag + serialization) after the manager's imports, bytecode cached",
        "",
        "| DAG file | first parse: median s | max s | later parses: median s | max s | target ≤ 0.5 s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    # every file of dags/: the extract family, the build, the hourly veille, the maintenance...
    paths = [Path(f).resolve() for f in args.files] or sorted((REPO / "dags").glob("*.py"))
    with pycache:
        for path in paths:
            parse_seconds(path, env, "later")  # warm-up: writes the bytecode
            first = [parse_seconds(path, env, "first") for _ in range(args.repeat)]
            later = [parse_seconds(path, env, "later") for _ in range(args.repeat)]
            worst = max(statistics.median(first), statistics.median(later))
            lines.append(
                f"| `{path.name}` | {statistics.median(first):.3f} | {max(first):.3f} "
                f"| {statistics.median(later):.3f} | {max(later):.3f} | {'met' if worst <= 0.5 else 'MISSED'} |"
            )
    report = "\n".join(lines)
    print(report)
    if args.record:
        with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n" + report + "\n")


if __name__ == "__main__":
    main()
