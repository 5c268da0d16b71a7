"""BI check: start Superset natively on a published warehouse, prove every chart of the
community managers' dashboard returns data, and take a screenshot of it.

Run with the Python of Superset's environment (install.sh makes it)::

    SOCIALPULSE_HOME=/path/with/warehouse.duckdb .venv-superset/bin/python stack/superset/bi_check.py

(or ``stack/superset/run_check.sh``, which finds that Python). Steps:

1. init.sh (the container's entrypoint too): ``superset db upgrade``, the admin from
   SUPERSET_ADMIN_USERNAME / SUPERSET_ADMIN_PASSWORD, ``superset init``, the bundle
   import, then gunicorn on 127.0.0.1:SUPERSET_PORT; wait for ``/health``;
2. log in through the API (JWT from ``/api/v1/security/login``), find the dashboard
   by slug and check it holds every chart of ``assets/charts/``;
3. ``GET /api/v1/chart/<id>/data/?force=true`` for each chart: no error, >= 1 row;
4. cross-check numbers against a direct read-only DuckDB query of the same file: the
   moderation queue size and the latest week's engagements;
5. headless Chromium (Debian's chromium + chromedriver, via Selenium) logs in with the
   form, opens the dashboard, waits until every chart has drawn (no spinner, no error),
   checks the page sent no request off this machine, and saves
   ``$SOCIALPULSE_HOME/screenshots/dashboard.png``;
6. stops the Superset it started (its process group), whatever happened.

Exit 0 when all holds; 1 with a message naming the failing chart; 2 when a
precondition is missing (no warehouse, port taken, no Chromium).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
DASHBOARD_SLUG = "socialpulse-community-managers"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# the browser login posts the form and waits for the redirect: on a 2-core machine
# running other jobs beside the stack test it once took over 30 s
LOGIN_TIMEOUT_S = 90


class CheckFailed(Exception):
    """A check that failed: the message names the chart or the step."""


class Precondition(Exception):
    """Something the check needs is missing (exit 2)."""


@dataclass
class Report:
    timings: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    cross_checks: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    blocked: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(f"bi_check: {message}", file=sys.stderr, flush=True)


# --- settings -------------------------------------------------------------------------
def socialpulse_home() -> Path:
    return Path(os.environ.get("SOCIALPULSE_HOME", "data")).expanduser().resolve()


def state_dir(home: Path) -> Path:
    """SUPERSET_STATE_DIR, default $SOCIALPULSE_HOME/superset (as superset_config.py)."""
    return Path(os.environ.get("SUPERSET_STATE_DIR") or home / "superset").expanduser().resolve()


def secret_key(state: Path) -> str:
    """SUPERSET_SECRET_KEY, or for a local check one kept beside the metadata database.

    The key encrypts what Superset stores: a new key per run would make the metadata
    database of the previous run unreadable, so a generated one is kept (mode 0600).
    """
    if key := os.environ.get("SUPERSET_SECRET_KEY"):
        return key
    path = state / ".secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(42))
        path.chmod(0o600)
        log(f"SUPERSET_SECRET_KEY unset: generated one for this SOCIALPULSE_HOME in {path}")
    return path.read_text().strip()


def bundle_chart_names() -> list[str]:
    import yaml

    return sorted(
        yaml.safe_load(p.read_text(encoding="utf-8"))["slice_name"] for p in (HERE / "assets" / "charts").glob("*.yaml")
    )


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- Superset process -----------------------------------------------------------------
def start_superset(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    out = log_path.open("wb")
    # A session of its own: stopping it stops gunicorn's workers too.
    return subprocess.Popen(
        ["bash", str(HERE / "init.sh")],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_superset(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_for_health(base: str, proc: subprocess.Popen[bytes], log_path: Path, timeout: float) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CheckFailed(
                f"Superset exited (code {proc.returncode}) before serving; end of {log_path}:\n" + log_tail(log_path)
            )
        try:
            if requests.get(f"{base}/health", timeout=5).text.strip() == "OK":
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise CheckFailed(f"Superset not healthy after {timeout:.0f} s; end of {log_path}:\n" + log_tail(log_path))


# --- API checks -----------------------------------------------------------------------
def api_login(base: str, username: str, password: str) -> dict[str, str]:
    import requests

    resp = requests.post(
        f"{base}/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db", "refresh": True},
        timeout=30,
    )
    if resp.status_code != 200:
        raise CheckFailed(f"API login as {username!r} failed: HTTP {resp.status_code} {resp.text[:300]}")
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def check_charts(base: str, headers: dict[str, str], report: Report) -> tuple[int, dict[str, list[dict]]]:
    """Every chart of the bundle is on the dashboard and returns >= 1 row, no error."""
    import requests

    resp = requests.get(f"{base}/api/v1/dashboard/{DASHBOARD_SLUG}", headers=headers, timeout=30)
    if resp.status_code != 200:
        raise CheckFailed(f"dashboard {DASHBOARD_SLUG!r} not found: HTTP {resp.status_code}")
    dashboard_id = resp.json()["result"]["id"]
    charts = requests.get(f"{base}/api/v1/dashboard/{dashboard_id}/charts", headers=headers, timeout=30).json()[
        "result"
    ]
    on_dashboard = sorted(c["slice_name"] for c in charts)
    missing = sorted(set(bundle_chart_names()) - set(on_dashboard))
    if missing:
        raise CheckFailed(f"charts of assets/charts/ missing from the dashboard: {missing}")

    failures: list[str] = []
    data: dict[str, list[dict]] = {}
    for chart in sorted(charts, key=lambda c: c["slice_name"]):
        name = chart["slice_name"]
        resp = requests.get(
            f"{base}/api/v1/chart/{chart['id']}/data/",
            params={"force": "true"},
            headers=headers,
            timeout=120,
        )
        if resp.status_code != 200:
            failures.append(f"chart {name!r} (id {chart['id']}): HTTP {resp.status_code} {resp.text[:400]}")
            continue
        result = resp.json()["result"]
        errors = [r.get("error") for r in result if r.get("error")]
        rows = sum(r.get("rowcount") or 0 for r in result)
        report.rows[name] = rows
        data[name] = [row for r in result for row in (r.get("data") or [])]
        if errors:
            failures.append(f"chart {name!r} (id {chart['id']}): error {errors[0]}")
        elif rows < 1:
            failures.append(f"chart {name!r} (id {chart['id']}): no rows")
    if failures:
        raise CheckFailed("chart data check failed:\n  " + "\n  ".join(failures))
    return dashboard_id, data


def cross_check(warehouse: Path, data: dict[str, list[dict]], report: Report) -> None:
    """The numbers Superset serves are the warehouse's, read directly (read-only)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        queue = con.execute("select count(*) from marts.rpt_moderation_queue").fetchone()[0]
        engagements = con.execute(
            """
            select sum(value) from marts.rpt_weekly_comparison
            where topic = '_all' and format = '_all' and metric = 'engagements'
                and week_start = (select max(week_start) from marts.rpt_weekly_comparison)
            """
        ).fetchone()[0]

    shown_queue = data["Open questions"][0]["open_questions"]
    if shown_queue != queue:
        raise CheckFailed(f"chart 'Open questions' shows {shown_queue}, marts.rpt_moderation_queue has {queue} rows")
    report.cross_checks.append(f"moderation queue: {shown_queue} = {queue} rows in DuckDB")

    kpis = {row["metric"]: row for row in data["Weekly KPIs: week over week, year over year"]}
    shown = kpis["engagements"]["this_week"]
    if engagements is None or abs(float(shown) - float(engagements)) > 1e-6:
        raise CheckFailed(
            f"chart 'Weekly KPIs: week over week, year over year' shows {shown} engagements this "
            f"week, DuckDB sums {engagements}"
        )
    report.cross_checks.append(f"engagements this week: {shown:,.0f} = DuckDB sum")


# --- Screenshot -----------------------------------------------------------------------
RENDER_STATE_JS = """
return [...document.querySelectorAll('.dashboard-component-chart-holder')]
  .filter(h => h.querySelector('[data-test-viz-type]'))
  .map(h => ({
    title: ((h.querySelector('[data-test="editable-title"], .header-title') || {}).textContent || '').trim(),
    loading: h.querySelectorAll('.loading, [data-test="loading-indicator"]').length,
    error: [...h.querySelectorAll('.ant-alert-error, [data-test="error-message"], .alert-danger')]
             .map(e => e.innerText.trim()).join(' | '),
    drawn: h.querySelectorAll('canvas, svg, table').length,
  }));
"""


def screenshot(
    base: str, username: str, password: str, expected: int, target: Path, timeout: float, report: Report
) -> None:
    os.environ.setdefault("SE_AVOID_STATS", "true")  # Selenium Manager: no usage stats
    os.environ.setdefault("SE_OFFLINE", "true")  # nor downloads: the drivers are given
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="bi_check_chromium_")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1600,1200")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(60)
        driver.get(f"{base}/login/")
        driver.find_element(By.CSS_SELECTOR, '[data-test="username-input"]').send_keys(username)
        driver.find_element(By.CSS_SELECTOR, '[data-test="password-input"]').send_keys(password)
        driver.find_element(By.CSS_SELECTOR, '[data-test="login-button"]').click()
        deadline = time.monotonic() + LOGIN_TIMEOUT_S
        while "/login" in driver.current_url and time.monotonic() < deadline:
            time.sleep(0.5)
        if "/login" in driver.current_url:
            raise CheckFailed(f"browser login as {username!r} failed (still on {driver.current_url})")

        driver.get(f"{base}/superset/dashboard/{DASHBOARD_SLUG}/?standalone=1")
        deadline = time.monotonic() + timeout
        state: list[dict] = []
        while time.monotonic() < deadline:
            state = driver.execute_script(RENDER_STATE_JS) or []
            errors = [c for c in state if c["error"]]
            if errors:
                raise CheckFailed(
                    "dashboard shows an error: "
                    + "; ".join(f"chart {c['title']!r}: {c['error'][:300]}" for c in errors)
                )
            if len(state) >= expected and all(c["drawn"] and not c["loading"] for c in state):
                break
            time.sleep(1)
        else:
            pending = [c["title"] for c in state if not c["drawn"] or c["loading"]]
            raise CheckFailed(
                f"dashboard not drawn after {timeout:.0f} s: {len(state)}/{expected} charts, still loading: {pending}"
            )
        time.sleep(2)  # let the charts' entry animations finish
        height = driver.execute_script(
            "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"
        )
        driver.set_window_size(1600, min(int(height) + 150, 6000))
        time.sleep(1)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not driver.save_screenshot(str(target)):
            raise CheckFailed(f"could not write the screenshot {target}")
        report.screenshot = target
        check_no_external_requests(driver, report)
    finally:
        driver.quit()


def check_no_external_requests(driver, report: Report) -> None:
    """No request left this machine; requests the CSP blocked (telemetry pixel) are noted."""
    sent: dict[str, str] = {}
    blocked: set[str] = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            url = params.get("request", {}).get("url", "")
            host = urlparse(url).hostname
            if urlparse(url).scheme in ("http", "https", "ws", "wss") and host not in LOCAL_HOSTS:
                sent[params["requestId"]] = url
        elif message.get("method") == "Network.loadingFailed" and params.get("blockedReason"):
            blocked.add(params["requestId"])
    for entry in driver.get_log("browser"):
        if entry.get("source") == "security" and "Content Security Policy" in entry.get("message", ""):
            report.blocked.append(entry["message"].split("'")[1] if "'" in entry["message"] else entry["message"])
    escaped = sorted({url for rid, url in sent.items() if rid not in blocked})
    if escaped:
        raise CheckFailed(f"the dashboard page sent requests off this machine: {escaped}")


# --- main -----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("SUPERSET_PORT", "8088")))
    parser.add_argument("--no-screenshot", action="store_true", help="skip the Chromium step")
    parser.add_argument("--start-timeout", type=float, default=300.0)
    parser.add_argument("--render-timeout", type=float, default=120.0)
    args = parser.parse_args(argv)

    t_start = time.monotonic()
    report = Report()
    home = socialpulse_home()
    warehouse = home / "warehouse.duckdb"
    username = os.environ.get("SUPERSET_ADMIN_USERNAME", "admin")
    password = os.environ.get("SUPERSET_ADMIN_PASSWORD", "admin")
    base = f"http://127.0.0.1:{args.port}"
    state = state_dir(home)
    log_path = state / "logs" / "bi_check_superset.log"
    target = home / "screenshots" / "dashboard.png"

    try:
        if not warehouse.exists():
            raise Precondition(
                f"no published warehouse at {warehouse}: run a build first "
                "(e.g. SOCIALPULSE_HOME=... .venv/bin/socialpulse demo --days 14)"
            )
        if not port_is_free(args.port):
            raise Precondition(f"port {args.port} is in use: set SUPERSET_PORT to a free port")
        if not args.no_screenshot and not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
            raise Precondition(
                f"{CHROMIUM} or {CHROMEDRIVER} missing: run stack/superset/install.sh (or pass --no-screenshot)"
            )
    except Precondition as exc:
        log(f"FAILED (precondition): {exc}")
        return 2

    env = {
        **os.environ,
        "SOCIALPULSE_HOME": str(home),
        "SUPERSET_SECRET_KEY": secret_key(state),
        "SUPERSET_PORT": str(args.port),
        "SUPERSET_BIND": "127.0.0.1",
        "SUPERSET_VENV": os.environ.get("SUPERSET_VENV", sys.prefix),
        "SUPERSET_ADMIN_USERNAME": username,
        "SUPERSET_ADMIN_PASSWORD": password,
        "SUPERSET_INIT_ONLY": "0",
    }
    env.pop("SUPERSET_CONFIG_PATH", None)  # init.sh uses the config beside it
    log(f"starting Superset on {base} for {warehouse} (log: {log_path})")
    proc = start_superset(env, log_path)
    try:
        t = time.monotonic()
        wait_for_health(base, proc, log_path, args.start_timeout)
        started = time.monotonic() - t
        report.timings["init + start (db upgrade, admin, init, import, gunicorn)"] = started
        log(f"healthy after {started:.0f} s; checking charts")

        t = time.monotonic()
        headers = api_login(base, username, password)
        _, data = check_charts(base, headers, report)
        cross_check(warehouse, data, report)
        report.timings["API checks (login, every chart's data, DuckDB cross-check)"] = time.monotonic() - t

        if not args.no_screenshot:
            t = time.monotonic()
            screenshot(base, username, password, len(report.rows), target, args.render_timeout, report)
            report.timings["screenshot (login, render, capture)"] = time.monotonic() - t
    except CheckFailed as exc:
        log(f"FAILED: {exc}")
        return 1
    except Exception as exc:  # noqa: BLE001 - report, stop Superset, exit non-zero
        import traceback

        traceback.print_exc()
        log(f"FAILED: unexpected {type(exc).__name__}: {exc}")
        return 1
    finally:
        t = time.monotonic()
        stop_superset(proc)
        log(f"Superset stopped (pid {proc.pid}) in {time.monotonic() - t:.1f} s")

    report.timings["total"] = time.monotonic() - t_start
    print_summary(report, warehouse)
    return 0


def print_summary(report: Report, warehouse: Path) -> None:
    print(f"BI check passed on {warehouse}")
    print(f"charts checked: {len(report.rows)}")
    width = max(len(name) for name in report.rows)
    for name, rows in report.rows.items():
        print(f"  {name:<{width}}  {rows:>6} rows")
    for line in report.cross_checks:
        print(f"cross-check: {line}")
    if report.screenshot:
        print(f"screenshot: {report.screenshot}")
    for url in sorted(set(report.blocked)):
        print(f"blocked by the Content-Security-Policy (not sent): {url}")
    for step, seconds in report.timings.items():
        print(f"time: {step}: {seconds:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
