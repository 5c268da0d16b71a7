"""`make bench`: the pipeline timed at a scale, full build and daily increments, with the ratios of issue 9.

    .venv/bin/python bench/bench.py --scale region [--scale observatory] [--record]
    .venv/bin/python bench/bench.py --accounts 12 --days 10 --days-short 5 --workdir /tmp/b --json /tmp/b.json

For each scale (accounts x history days H):

- history: `bench/scale.py` lands H days ending at day E as ONE initial load (the DAG's
  `{"days": H}`), then the day E+1 as one normal daily run (3-day lookback): both from one
  `scale.generate(accounts, days=2, end=E+1, initial_days=H)`, whose files of `ds=E+1` are
  moved aside (`day/`) and put into the landing tree only for the incremental run. Region
  and observatory have the same shape (the observatory's daily layout would be 17 M files,
  see SCALE.md). Two homes per scale: H = the scale's full history and H = 90 days (the
  "incremental on top of 90 days"). Generated homes are cached under
  `<workdir>/cache/a<accounts>-h<H>-e<E>-s<seed>/`; generation time is printed apart.
- each run copies (hard links) a cached landing zone into a fresh home
  `<workdir>/runs/<scale>/h<H>/` and runs, each step a child process (wall time, peak RSS):
  full build = load -> audit raw -> dbt build -> audit marts -> publish (the build DAG's order
  and calls); then the floor (DuckDB reading the day's landing files, nothing else); then
  the incremental day = the same five steps with the day's files added (the loader skips
  every unchanged file itself).
- Airflow: on the full-history home, the build database as it was before the incremental
  load is put back and the build DAG runs the same day under `airflow dags test`; the dbt
  stage is the span of the `dbt.*` task instances (first start -> last end) in Airflow's
  metadata database, compared with the plain `dbt build` of the same day on the same state.
- DAG parse time of every file of dags/ (bench/dag_parse.py), once per invocation.

Prints one Markdown table (step, wall s, rows, peak RSS MB) and the ratios with their
targets (reported, never asserted); `--json` writes everything as JSON; `--record`
appends the report, with the machine and its load average, to bench/RESULTS.md.
Peak RSS: the larger of the step's largest single process (its `wait4` rusage, children
included) and the sum over its process tree sampled every 0.2 s (psutil).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for _p in (REPO, REPO / "plugins", REPO / "bench"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

BIN = Path(sys.executable).parent
SHORT_HISTORY = 90
# day E: the last day of history; the incremental day is E + 1 (scale.py's default end)
END = date(2026, 11, 24)
SCALES = {
    "tiny": (12, 10, 5),
    "region": (20, 730, SHORT_HISTORY),
    "observatory": (10_000, 365, SHORT_HISTORY),
}
TARGETS = {
    "full_build_s": 600.0,
    "peak_mb": 8192.0,
    "incremental_over_full": 0.05,
    "incremental_history_growth": 1.3,
    "airflow_over_plain_dbt": 1.3,
    "dag_parse_s": 0.5,
}
STEPS = ("load", "audit_raw", "dbt", "audit_marts", "publish")


# -- child steps: `bench.py --step NAME --home H --out FILE` ------------------------------------------------


def _home_env(home: Path) -> dict[str, str]:
    return {"SOCIALPULSE_HOME": str(home), "SOCIALPULSE_ACCOUNTS": str(home / "accounts.yml")}


def _settings():
    from socialpulse.settings import Settings

    return Settings.from_env()


def step_load(home: Path, _arg: dict) -> dict:
    """The build DAG's `load` task: new landing files -> raw, token health -> raw.token_health."""
    from socialpulse.config import load_accounts
    from socialpulse.load import load_landing
    from socialpulse.token_health import load_health

    s = _settings()
    report = load_landing(s.build_db, s.landing_dir, run_id="bench", memory_limit=s.duckdb_memory_limit)
    load_health(s.build_db, s, load_accounts(s.config_file))
    loaded = report.as_dict()
    return {"rows": sum(report.rows_by_table.values()), "files": report.files_loaded, "loaded": loaded}


def _audit(home: Path, arg: dict, layer: str) -> dict:
    """The build DAG's `plan_audit` + `audit_<layer>`: GX suites and cross-row checks on what was just loaded."""
    from socialpulse.audit_checks import check_targets
    from socialpulse.audit_plan import plan_targets
    from socialpulse.config import load_accounts
    from socialpulse.quality import run_audit

    s = _settings()
    loaded = arg["loaded"]
    targets = plan_targets(loaded)[layer] + check_targets(loaded, load_accounts(s.config_file))[layer]
    report = run_audit(home / "gx", s.build_db, targets, docs_dir=s.docs_dir / "gx" / layer)
    errors = [f.describe() for r in report.results for f in r.errors]
    return {
        "rows": sum(r.row_count for r in report.results),
        "targets": len(report.results),
        "failures": errors,
        "warnings": [f.describe() for r in report.results for f in r.warnings],
    }


def step_audit_raw(home: Path, arg: dict) -> dict:
    return _audit(home, arg, "raw")


def step_audit_marts(home: Path, arg: dict) -> dict:
    return _audit(home, arg, "marts")


def step_publish(home: Path, arg: dict) -> dict:
    """The build DAG's `publish` task: marts -> a new warehouse.duckdb renamed over the old one, plus exports."""
    from socialpulse.publish import publish

    s = _settings()
    ds = date.fromisoformat(arg["loaded"]["max_ds"])
    report = publish(
        s.build_db, s.serving_db, ds=ds, run_id="bench", exports_dir=s.exports_dir, memory_limit=s.duckdb_memory_limit
    )
    changed = sum(c != "unchanged" for c in report.changes.values())
    return {
        "rows": sum(report.tables.values()),
        "tables": len(report.tables),
        "changed": changed,
        "written": report.rows_written,
        "changes": report.changes,  # per mart, kept in the home's bench/publish.out.json
    }


def step_floor(home: Path, arg: dict) -> dict:
    """DuckDB reading the day's landing files and nothing else: one read_parquet per (platform, entity)."""
    import duckdb

    groups: dict[str, list[str]] = {}
    for f in arg["files"]:
        groups.setdefault(str(Path(f).parent.parent), []).append(f)
    con = duckdb.connect()
    rows = 0
    for i, files in enumerate(groups.values()):
        con.execute(f"create temp table t{i} as select * from read_parquet({files!r})")
        rows += con.execute(f"select count(*) from t{i}").fetchone()[0]
    con.close()
    return {"rows": rows, "files": len(arg["files"])}


CHILD_STEPS = {
    "load": step_load,
    "audit_raw": step_audit_raw,
    "audit_marts": step_audit_marts,
    "publish": step_publish,
    "floor": step_floor,
}


# -- running a child: wall time and peak RSS ----------------------------------------------------------------


@dataclass
class Step:
    scale: str
    run: str
    step: str
    seconds: float
    rows: int
    peak_mb: float
    note: str = ""
    extra: dict = field(default_factory=dict)


class StepFailed(RuntimeError):
    pass


def run_child(cmd: list[str], env: dict[str, str], log: Path) -> tuple[int, float, float]:
    """Run `cmd`; returns (exit code, wall s, peak RSS MB). Output goes to `log`."""
    import psutil

    log.parent.mkdir(parents=True, exist_ok=True)
    peak = [0]
    with open(log, "w") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            try:
                root = psutil.Process(proc.pid)
            except psutil.NoSuchProcess:
                return
            while not done.is_set():
                total = 0
                try:
                    for p in [root, *root.children(recursive=True)]:
                        try:
                            total += p.memory_info().rss
                        except psutil.Error:
                            pass
                except psutil.Error:
                    pass
                peak[0] = max(peak[0], total)
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss: kilobytes on Linux (the largest process of the tree that was waited for)
    return proc.returncode, seconds, max(usage.ru_maxrss / 1024, peak[0] / 2**20)


def child_step(name: str, home: Path, arg: dict, env: dict[str, str]) -> tuple[dict, float, float]:
    out = home / "bench" / f"{name}.out.json"
    inp = home / "bench" / f"{name}.in.json"
    inp.parent.mkdir(parents=True, exist_ok=True)
    inp.write_text(json.dumps(arg))
    out.unlink(missing_ok=True)
    log = home / "bench" / f"{name}.log"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", name, "--home", str(home), "--arg", str(inp)]
    code, seconds, peak = run_child(cmd, env, log)
    if code != 0 or not out.exists():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        raise StepFailed(f"step {name} in {home} failed (exit {code}, log {log}):\n{tail}")
    return json.loads(out.read_text()), seconds, peak


def dbt_step(home: Path, env: dict[str, str], as_of: date) -> tuple[dict, float, float]:
    """`dbt build` of the whole project with the `as_of` the build DAG passes (the day after max_ds)."""
    from scale_pipeline import dbt_build_cmd

    target = home / "dbt_target"
    cmd = dbt_build_cmd(home, as_of.isoformat())
    log = home / "bench" / "dbt.log"
    code, seconds, peak = run_child(cmd, env, log)
    if code != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        raise StepFailed(f"dbt build in {home} failed (exit {code}, log {log}):\n{tail}")
    results = json.loads((target / "run_results.json").read_text())["results"]
    # dbt-duckdb reports no rows_affected for models: the rows the marts hold after the build
    rows = sum(mart_rows(home / "build.duckdb").values())
    return {"rows": rows, "nodes": len(results)}, seconds, peak


# -- homes --------------------------------------------------------------------------------------------------


def cache_home(workdir: Path, accounts: int, history: int, seed: int) -> tuple[Path, dict | None]:
    """The generated landing zone of `history` days ending E plus the day E+1 aside; (path, generation result)."""
    import scale

    home = workdir / "cache" / f"a{accounts}-h{history}-e{END.isoformat()}-s{seed}-g{scale.GENERATOR_VERSION}"
    marker = home / "generate.json"
    if marker.exists():
        return home, None
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    print(f"generating {accounts} accounts x {history} days + 1 into {home} ...", file=sys.stderr, flush=True)
    result = scale.generate(accounts, 2, END + timedelta(days=1), home, seed=seed, initial_days=history)
    day_tag = f"ds={(END + timedelta(days=1)).isoformat()}"
    landing, day = home / "landing", home / "day"
    for path in sorted(landing.rglob(f"{day_tag}/*.parquet")):
        dest = day / path.relative_to(landing)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, dest)
        if not any(path.parent.iterdir()):
            path.parent.rmdir()
    marker.write_text(json.dumps(result, indent=2))
    return home, result


def _link_tree(src: Path, dest: Path) -> list[Path]:
    """Hard links (a copy across file systems) of every file of `src` under `dest`; keeps size and mtime."""
    made = []
    for path in sorted(src.rglob("*")):
        if path.is_dir():
            continue
        target = dest / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
        made.append(target)
    return made


def fresh_run_home(workdir: Path, scale_name: str, history: int, cache: Path) -> Path:
    home = workdir / "runs" / scale_name / f"h{history}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    _link_tree(cache / "landing", home / "landing")
    shutil.copy2(cache / "accounts.yml", home / "accounts.yml")
    shutil.copytree(REPO / "expectations", home / "gx", ignore=shutil.ignore_patterns("uncommitted"))
    return home


def day_digest(day_dir: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(day_dir.rglob("*.parquet")):
        h.update(path.relative_to(day_dir).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


# -- one scale ----------------------------------------------------------------------------------------------


class ScaleRun:
    def __init__(self, name: str, accounts: int, history: int, short: int, workdir: Path, seed: int):
        self.name, self.accounts, self.history, self.short = name, accounts, history, short
        self.workdir, self.seed = workdir, seed
        self.steps: list[Step] = []
        self.facts: dict = {
            "accounts": accounts,
            "history_days": history,
            "short_history_days": short,
            "end": END.isoformat(),
            "day": (END + timedelta(days=1)).isoformat(),
            "seed": seed,
        }
        self.generation: dict = {}

    def log(self, msg: str) -> None:
        print(f"[{self.name} {datetime.now(UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)

    def add(self, run: str, step: str, seconds: float, rows: int, peak: float, note: str = "", **extra) -> Step:
        s = Step(self.name, run, step, round(seconds, 2), int(rows), round(peak, 1), note, extra)
        self.steps.append(s)
        self.log(f"{run} / {step}: {s.seconds} s, {s.rows} rows, {s.peak_mb} MB {note}")
        return s

    def build(self, home: Path, run: str, env: dict[str, str]) -> dict:
        """load -> audit raw -> dbt -> audit marts -> publish, each a child process."""
        out, sec, peak = child_step("load", home, {}, env)
        loaded = out["loaded"]
        self.add(run, "load", sec, out["rows"], peak, f"{out['files']} files")
        result = {"load": out}
        for name in STEPS[1:]:
            if name == "dbt":
                out, sec, peak = dbt_step(home, env, date.fromisoformat(loaded["max_ds"]) + timedelta(days=1))
                note = f"{out['nodes']} nodes; rows: in marts after"
            else:
                out, sec, peak = child_step(name, home, {"loaded": loaded}, env)
                note = f"{out['targets']} targets" if "targets" in out else f"{out['tables']} tables"
                if "written" in out:
                    note += f", {out['changed']} changed, {out['written']:,} rows written"
                if out.get("failures"):
                    note += f", {len(out['failures'])} FAILED"
                    self.facts.setdefault("audit_failures", []).extend(out["failures"])
                if out.get("warnings"):
                    note += f", {len(out['warnings'])} warnings"
            self.add(run, name, sec, out["rows"], peak, note)
            result[name] = out
        mine = [s for s in self.steps if s.run == run]
        self.add(run, "total", sum(s.seconds for s in mine), mine[0].rows, max(s.peak_mb for s in mine))
        return result

    def env(self, home: Path) -> dict[str, str]:
        env = {**os.environ, **_home_env(home)}
        for name in ("SOCIALPULSE_BUILD_DB", "SOCIALPULSE_SERVING_DB", "DBT_TARGET_PATH", "DBT_LOG_PATH"):
            env.pop(name, None)
        env["SOCIALPULSE_BUILD_DB"] = str(home / "build.duckdb")
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        return env

    def home_run(self, history: int, airflow: bool) -> None:
        label = f"{history} d"
        cache, gen = cache_home(self.workdir, self.accounts, history, self.seed)
        self.generation[label] = gen or {**json.loads((cache / "generate.json").read_text()), "cached": True}
        home = fresh_run_home(self.workdir, self.name, history, cache)
        env = self.env(home)
        self.log(f"home {home}")
        self.build(home, f"full build, {label}", env)
        if airflow:
            shutil.copy2(home / "build.duckdb", home / "build.before_day.duckdb")
        day_files = _link_tree(cache / "day", home / "landing")
        self.facts.setdefault("day_digest", {})[label] = day_digest(cache / "day")
        out, sec, peak = child_step("floor", home, {"files": [str(f) for f in day_files]}, env)
        self.add(f"incremental day, {label}", "floor (read day)", sec, out["rows"], peak, f"{out['files']} files")
        result = self.build(home, f"incremental day, {label}", env)
        loaded = result["load"]["loaded"]
        self.facts.setdefault("incremental", {})[label] = {
            "day_files": len(day_files),
            "files_loaded": result["load"]["files"],
            "ds_loaded": sorted({p["ds"] for p in loaded["partitions"]}),
            "max_ds": loaded["max_ds"],
            "published_max_report_date": max_report_date(home / "warehouse.duckdb"),
        }
        if airflow:
            self.airflow_day(home, label)

    def airflow_day(self, home: Path, label: str) -> None:
        """The same day through the build DAG under `airflow dags test`, from the same build database."""
        from socialpulse.runner import ensure_airflow, ensure_manifest, pipeline_env
        from socialpulse.settings import Settings

        os.replace(home / "build.before_day.duckdb", home / "build.duckdb")
        old = {k: os.environ.get(k) for k in ("SOCIALPULSE_HOME", "SOCIALPULSE_ACCOUNTS")}
        os.environ.update(_home_env(home))
        try:
            settings = Settings.from_env()
            env = pipeline_env(settings, "http://127.0.0.1:9")
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        env.update(_home_env(home))
        for name in ("DBT_TARGET_PATH", "DBT_LOG_PATH", "SOCIALPULSE_SERVING_DB"):
            env.pop(name, None)
        t0 = time.perf_counter()
        ensure_manifest(env)
        ensure_airflow(env)
        self.log(f"airflow setup (dbt parse, db migrate, pool; not timed): {time.perf_counter() - t0:.1f} s")
        day = END + timedelta(days=1)
        cmd = [str(BIN / "airflow"), "dags", "test", "socialpulse_build", day.isoformat()]
        log = home / "airflow" / "runs" / f"socialpulse_build__{day.isoformat()}.log"
        code, seconds, peak = run_child(cmd, env, log)
        out = log.read_text(errors="replace")
        from socialpulse.runner import run_state

        state = run_state("socialpulse_build", out)
        if code != 0 or state != "success":
            tail = "\n".join(out.splitlines()[-60:])
            raise StepFailed(f"airflow dags test socialpulse_build {day}: {state} (exit {code}, log {log})\n{tail}")
        spans = task_spans(home / "airflow" / "airflow.db")
        dbt_tasks = {k: v for k, v in spans.items() if k.startswith("dbt.")}
        start = min(v[0] for v in dbt_tasks.values())
        end = max(v[1] for v in dbt_tasks.values())
        run = f"Airflow incremental day, {label}"
        load_span = spans.get("load")
        rows = _find(self.steps, f"incremental day, {label}", "load").rows  # the same files, loaded again
        self.add(run, "airflow dags test (whole DAG)", seconds, rows, peak, f"{len(spans)} tasks")
        self.add(
            run,
            "dbt stage (dbt.* tasks)",
            (end - start).total_seconds(),
            rows,
            peak,
            f"{len(dbt_tasks)} tasks, span in task_instance; peak: whole DAG",
        )
        if load_span:
            self.add(run, "load task", (load_span[1] - load_span[0]).total_seconds(), rows, peak, "peak: whole DAG")
        self.facts["airflow"] = {
            "published_max_report_date": max_report_date(home / "warehouse.duckdb"),
            "tasks": {k: round((v[1] - v[0]).total_seconds(), 2) for k, v in sorted(spans.items())},
        }


def task_spans(airflow_db: Path) -> dict[str, tuple[datetime, datetime]]:
    """(start, end) of each task of the build DAG's latest run, from Airflow's metadata database."""
    con = sqlite3.connect(str(airflow_db))
    try:
        run_id = con.execute(
            "select run_id from dag_run where dag_id = 'socialpulse_build' order by id desc limit 1"
        ).fetchone()[0]
        rows = con.execute(
            "select task_id, start_date, end_date from task_instance "
            "where dag_id = 'socialpulse_build' and run_id = ? and start_date is not null and end_date is not null",
            [run_id],
        ).fetchall()
    finally:
        con.close()

    def ts(v) -> datetime:
        return datetime.fromisoformat(str(v).replace("Z", "+00:00"))

    spans: dict[str, tuple[datetime, datetime]] = {}
    for task_id, start, end in rows:
        s, e = ts(start), ts(end)
        old = spans.get(task_id)
        spans[task_id] = (min(s, old[0]), max(e, old[1])) if old else (s, e)
    return spans


def mart_rows(db: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        names = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_type = 'BASE TABLE' order by 1"
        ).fetchall()
        return {n: con.execute(f'select count(*) from marts."{n}"').fetchone()[0] for (n,) in names}
    finally:
        con.close()


def max_report_date(serving_db: Path) -> str | None:
    import duckdb

    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        value = con.execute("select max(report_date) from marts.fct_account_daily").fetchone()[0]
    finally:
        con.close()
    return value.isoformat() if value else None


# -- report -------------------------------------------------------------------------------------------------


def _find(steps: list[Step], run: str, step: str) -> Step | None:
    return next((s for s in steps if s.run == run and s.step == step), None)


def ratios(sr: ScaleRun) -> list[dict]:
    full, short = f"{sr.history} d", f"{sr.short} d"
    get = lambda run, step: _find(sr.steps, run, step)  # noqa: E731
    out = []

    def add(name: str, num: Step | None, den: Step | None, target: float | None, what: str) -> None:
        value = round(num.seconds / den.seconds, 4) if num and den and den.seconds > 0 else None
        out.append({"scale": sr.name, "ratio": name, "what": what, "value": value, "target": target})

    add(
        "incremental_over_full",
        get(f"incremental day, {full}", "total"),
        get(f"full build, {full}", "total"),
        TARGETS["incremental_over_full"],
        f"incremental day / full build, {full} of history",
    )
    add(
        "incremental_history_growth",
        get(f"incremental day, {full}", "total"),
        get(f"incremental day, {short}", "total"),
        TARGETS["incremental_history_growth"],
        f"incremental day on {full} / on {short} of history",
    )
    add(
        "airflow_over_plain_dbt",
        get(f"Airflow incremental day, {full}", "dbt stage (dbt.* tasks)"),
        get(f"incremental day, {full}", "dbt"),
        TARGETS["airflow_over_plain_dbt"],
        f"Airflow dbt stage / plain dbt build, incremental day on {full}",
    )
    add(
        "incremental_over_floor",
        get(f"incremental day, {full}", "total"),
        get(f"incremental day, {full}", "floor (read day)"),
        None,
        f"incremental day / DuckDB reading the day's files, {full}",
    )
    return out


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "commit": commit,
        "arch": platform.machine(),
        "cores": os.cpu_count(),
        "ram_gb": round(ram, 1) if ram else None,
        "cpu": cpu,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def _verdict(value: float | None, target: float | None) -> str:
    if value is None:
        return "not measured"
    if target is None:
        return "(no target)"
    return "met" if value <= target else "MISSED"


def render(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"### make bench — {report['started']} UTC",
        f"machine: {m['arch']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['cpu']}, Python {m['python']}, "
        f"{m['system']}; commit {m['commit']}",
        f"load average at start {report['load_start']}, at end {report['load_end']}",
        "",
        "History: one initial load of H days ending "
        + END.isoformat()
        + ", then the day "
        + (END + timedelta(days=1)).isoformat()
        + " as one daily run (3-day lookback); "
        "peak RSS = largest process or sampled process-tree sum, whichever is larger.",
        "",
        "| scale | run | step | wall s | rows | peak RSS MB | note |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in report["steps"]:
        lines.append(
            f"| {s['scale']} | {s['run']} | {s['step']} | {s['seconds']:.2f} | {s['rows']:,} | {s['peak_mb']:,.0f} "
            f"| {s['note']} |"
        )
    lines += ["", "| scale | measure | value | target | result |", "| --- | --- | --- | --- | --- |"]
    for r in report["ratios"]:
        value = "—" if r["value"] is None else f"{r['value']:.3f}"
        target = "—" if r["target"] is None else f"≤ {r['target']}"
        lines.append(f"| {r['scale']} | {r['what']} | {value} | {target} | {_verdict(r['value'], r['target'])} |")
    for sc in report["scales"]:
        if sc["full_build_s"] is None:
            continue
        lines.append(
            f"| {sc['name']} | full build wall s ({sc['history_days']} d) | {sc['full_build_s']:.1f} "
            f"| ≤ {TARGETS['full_build_s']:.0f} | {_verdict(sc['full_build_s'], TARGETS['full_build_s'])} |"
        )
        lines.append(
            f"| {sc['name']} | peak RSS MB, any step | {sc['peak_mb']:,.0f} | ≤ {TARGETS['peak_mb']:.0f} "
            f"| {_verdict(sc['peak_mb'], TARGETS['peak_mb'])} |"
        )
    for p in report["dag_parse"]:
        med = "failed" if p["median_s"] is None else f"{p['median_s']:.3f}"
        lines.append(
            f"| — | DAG parse s, `{p['file']}` (median of {p['repeat']}) | {med} "
            f"| ≤ {TARGETS['dag_parse_s']} | {_verdict(p['median_s'], TARGETS['dag_parse_s'])} |"
        )
    lines.append("")
    lines.append("- Targets are those of the observatory scale; at other scales they are indicative.")
    gens = []
    for sc in report["scales"]:
        for label, g in sc["generation"].items():
            cached = " (cached)" if g.get("cached") else ""
            gens.append(f"{sc['name']} {label}: {g['files']:,} files, {g['rows']:,} rows, {g['seconds']} s{cached}")
    lines.append("- Generation (not part of the pipeline numbers): " + "; ".join(gens) + ".")
    for sc in report["scales"]:
        for label, inc in sc.get("incremental", {}).items():
            only_day = inc["files_loaded"] == inc["day_files"] and inc["ds_loaded"] == [sc["day"]]
            lines.append(
                f"- {sc['name']}, {label}: the incremental load read {inc['files_loaded']} files of ds "
                f"{', '.join(inc['ds_loaded'])} ({'only' if only_day else 'NOT only'} the day's {inc['day_files']}); "
                f"published through {inc['published_max_report_date']}."
            )
        if sc.get("day_files_identical") is not None:
            lines.append(f"- {sc['name']}: the day's files identical on both histories: {sc['day_files_identical']}.")
        if sc.get("error"):
            lines.append(f"- {sc['name']}: STOPPED: {sc['error'].splitlines()[0]}")
        if sc.get("audit_failures"):
            lines.append(f"- {sc['name']}: audit failures: " + " | ".join(sc["audit_failures"][:5]))
    return "\n".join(lines)


def dag_parse(repeat: int) -> list[dict]:
    """bench/dag_parse.py's probe on every file of dags/: a warm-up parse (bytecode in a private
    cache, as a deployed Airflow has it), then the median of `repeat` fresh interpreters."""
    import tempfile

    import dag_parse as dp

    out = []
    with tempfile.TemporaryDirectory(prefix="dag_parse_pyc_") as pycache:
        env = {**os.environ, **dp.airflow_env(dp.Settings.from_env()), "PYTHONPYCACHEPREFIX": pycache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for path in sorted((REPO / "dags").glob("*.py")):
            try:
                dp.parse_seconds(path, env)
                times = [dp.parse_seconds(path, env) for _ in range(repeat)]
            except (subprocess.CalledProcessError, SystemExit, StopIteration, ValueError) as exc:
                detail = getattr(exc, "stderr", None) or str(exc)
                print(f"DAG parse of {path.name} failed:\n{str(detail)[-2000:]}", file=sys.stderr)
                out.append({"file": path.name, "median_s": None, "max_s": None, "repeat": repeat})
                continue
            out.append(
                {
                    "file": path.name,
                    "median_s": round(statistics.median(times), 3),
                    "max_s": round(max(times), 3),
                    "repeat": repeat,
                }
            )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scale", action="append", choices=sorted(SCALES), help="repeatable; default region")
    ap.add_argument("--accounts", type=int, help="a custom scale: accounts")
    ap.add_argument("--days", type=int, help="a custom scale: full history days")
    ap.add_argument("--days-short", type=int, default=SHORT_HISTORY, help="the short history (default 90)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", type=Path, help="default $SOCIALPULSE_HOME/bench")
    ap.add_argument("--no-airflow", action="store_true", help="skip the run through Airflow")
    ap.add_argument("--parse-repeat", type=int, default=3, help="fresh interpreters per DAG file (0: skip)")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--record", action="store_true", help="append the report to bench/RESULTS.md")
    ap.add_argument("--step", choices=sorted(CHILD_STEPS), help=argparse.SUPPRESS)
    ap.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--arg", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.step:  # a child step
        home = args.home.resolve()
        os.environ.update(_home_env(home))
        result = CHILD_STEPS[args.step](home, json.loads(args.arg.read_text()))
        (home / "bench" / f"{args.step}.out.json").write_text(json.dumps(result, default=str))
        return 0

    chosen: list[tuple[str, int, int, int]] = []
    if args.accounts or args.days:
        if not (args.accounts and args.days):
            ap.error("--accounts and --days go together")
        chosen.append((f"{args.accounts}x{args.days}", args.accounts, args.days, args.days_short))
    for name in args.scale or ([] if chosen else ["region"]):
        chosen.append((name, *SCALES[name]))
    workdir = (args.workdir or _settings().home / "bench").resolve()
    workdir.mkdir(parents=True, exist_ok=True)

    report: dict = {
        "started": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
        "machine": machine(),
        "load_start": [round(v, 2) for v in os.getloadavg()],
        "workdir": str(workdir),
        "steps": [],
        "ratios": [],
        "scales": [],
    }
    print(f"load average at start: {report['load_start']}", file=sys.stderr, flush=True)
    from socialpulse.runner import ensure_manifest

    ensure_manifest({**os.environ})  # the build DAG (parse, Airflow) renders from dbt_project/target/manifest.json
    report["dag_parse"] = dag_parse(args.parse_repeat) if args.parse_repeat else []
    code = 0
    for name, accounts, history, short in chosen:
        sr = ScaleRun(name, accounts, history, min(short, history), workdir, args.seed)
        try:
            sr.home_run(history, airflow=not args.no_airflow)
            if short != history:
                sr.home_run(short, airflow=False)
        except StepFailed as exc:
            print(str(exc), file=sys.stderr)
            sr.facts["error"] = str(exc)[:2000]
            code = 1
        digests = set(sr.facts.get("day_digest", {}).values())
        sr.facts["day_files_identical"] = len(digests) == 1 if len(sr.facts.get("day_digest", {})) > 1 else None
        full = _find(sr.steps, f"full build, {history} d", "total")
        report["steps"] += [asdict(s) for s in sr.steps]
        report["ratios"] += ratios(sr)
        report["scales"].append(
            {
                "name": name,
                **sr.facts,
                "full_build_s": full.seconds if full else None,
                "peak_mb": max((s.peak_mb for s in sr.steps), default=None),
                "generation": sr.generation,
            }
        )
    report["load_end"] = [round(v, 2) for v in os.getloadavg()]
    text = render(report)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    if args.record:
        with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n" + text + "\n")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
