"""DAG file parse time: each file of dags/ imported in a fresh interpreter, as the
dag processor does, timing only the module's execution (imports of Airflow itself
are warmed first). Prints a Markdown table; `--record` appends it to bench/RESULTS.md.

Target (issue "speed and scale"): every DAG file parses in <= 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from socialpulse.airflow_env import airflow_env  # noqa: E402
from socialpulse.settings import Settings  # noqa: E402

PROBE = """
import time, runpy, sys
import airflow.sdk  # the dag processor has Airflow loaded already
t = time.perf_counter()
runpy.run_path(sys.argv[1])
print(time.perf_counter() - t)
"""


def parse_seconds(path: Path, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], env=env, capture_output=True, text=True, cwd=REPO, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("files", nargs="*", help="DAG files to time (default: every file of dags/)")
    args = ap.parse_args()
    env = {**os.environ, **airflow_env(Settings.from_env())}
    lines = [
        f"### DAG parse time — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"median of {args.repeat} fresh interpreters",
        "",
        "| DAG file | median s | max s | target ≤ 0.5 s |",
        "| --- | --- | --- | --- |",
    ]
    # every file of dags/: the extract family, the build, the hourly veille, the maintenance...
    paths = [Path(f).resolve() for f in args.files] or sorted((REPO / "dags").glob("*.py"))
    for path in paths:
        times = [parse_seconds(path, env) for _ in range(args.repeat)]
        med = statistics.median(times)
        lines.append(f"| `{path.name}` | {med:.3f} | {max(times):.3f} | {'met' if med <= 0.5 else 'MISSED'} |")
    report = "\n".join(lines)
    print(report)
    if args.record:
        with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n" + report + "\n")


if __name__ == "__main__":
    main()
