#!/usr/bin/env bash
# Prepare Airflow's metadata database for socialpulse. Idempotent: run it before every start.
#
# The `airflow-init` service of docker-compose.yml runs it in the container, and the
# native stack (stack/native.py) runs it on the host: everything comes from the
# environment and `airflow` is the one on PATH, so no path of either is written here.
#
#   AIRFLOW_HOME, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN, AIRFLOW__...
#                                  Airflow's own settings, as for any airflow command
#   AIRFLOW_ADMIN_PASSWORD         required: the admin's password (UI, and the REST API's
#                                  POST /auth/token)
#   AIRFLOW_ADMIN_USERNAME         the admin (default admin); it must be one of the users of
#                                  AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS, e.g. admin:admin
#   AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE
#                                  the JSON file SimpleAuthManager reads passwords from
#                                  (default: Airflow's, under AIRFLOW_HOME)
#   SOCIALPULSE_ALERTS_WEBHOOK_URL    optional: the spike alerts' webhook, saved as the HTTP
#                                     connection socialpulse_alerts_webhook (replaced on
#                                     every run; left alone when unset)
#   SOCIALPULSE_ALERTS_WEBHOOK_TOKEN  optional: sent by the notifier as a Bearer token
#
# What it does: airflow db migrate; the passwords file (mode 600, other users kept); the
# pool socialpulse_duckdb_writer of one slot (DuckDB has one writer); the webhook connection.
# Secrets never reach a command line or the output: Python reads them from the
# environment and writes them to files of mode 600.
set -euo pipefail

log() { printf 'init.sh: %s\n' "$*" >&2; }

: "${AIRFLOW_ADMIN_PASSWORD:?is not set: the password of the Airflow admin (see .env.example)}"
export AIRFLOW_ADMIN_USERNAME="${AIRFLOW_ADMIN_USERNAME:-admin}"
airflow_home="${AIRFLOW_HOME:-$HOME/airflow}"
export SOCIALPULSE_PASSWORDS_FILE="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-$airflow_home/simple_auth_manager_passwords.json.generated}"
pool=socialpulse_duckdb_writer
webhook_conn=socialpulse_alerts_webhook

command -v airflow >/dev/null || { log "airflow is not on PATH"; exit 1; }
command -v python3 >/dev/null || { log "python3 is not on PATH"; exit 1; }

log "airflow db migrate ..."
airflow db migrate

log "admin password of '${AIRFLOW_ADMIN_USERNAME}' -> ${SOCIALPULSE_PASSWORDS_FILE}"
mkdir -p "$(dirname "$SOCIALPULSE_PASSWORDS_FILE")"
python3 - <<'PY'
import json
import os
import tempfile

path = os.environ["SOCIALPULSE_PASSWORDS_FILE"]
user = os.environ["AIRFLOW_ADMIN_USERNAME"]
users = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS")
if users is not None and user not in [u.split(":")[0].strip() for u in users.split(",")]:
    print(f"init.sh: warning: '{user}' is not in AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS: it cannot log in")
try:
    with open(path) as fh:
        passwords = json.load(fh)
except (FileNotFoundError, ValueError):
    passwords = {}
if not isinstance(passwords, dict):
    passwords = {}
passwords[user] = os.environ["AIRFLOW_ADMIN_PASSWORD"]
# mkstemp creates the file with mode 600; the rename replaces the old one atomically.
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".passwords-")
try:
    with os.fdopen(fd, "w") as fh:
        json.dump(passwords, fh)
        fh.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
except BaseException:
    os.unlink(tmp)
    raise
PY

log "pool ${pool}: 1 slot"
airflow pools set "$pool" 1 "single writer of the DuckDB build file" >/dev/null

if [[ -n "${SOCIALPULSE_ALERTS_WEBHOOK_URL:-}" ]]; then
    log "connection ${webhook_conn} from SOCIALPULSE_ALERTS_WEBHOOK_URL"
    tmpdir="$(mktemp -d)"
    trap 'rm -rf "$tmpdir"' EXIT
    export SOCIALPULSE_CONN_FILE="$tmpdir/connections.json"
    python3 - <<'PY'
import json
import os
from urllib.parse import urlsplit

url = urlsplit(os.environ["SOCIALPULSE_ALERTS_WEBHOOK_URL"].strip())
if url.scheme not in ("http", "https") or not url.hostname:
    raise SystemExit("init.sh: SOCIALPULSE_ALERTS_WEBHOOK_URL must be an http(s) URL")
endpoint = url.path + (f"?{url.query}" if url.query else "")
conn = {
    "conn_type": "http",
    "description": "socialpulse spike alerts (from SOCIALPULSE_ALERTS_WEBHOOK_URL)",
    # The notifier's reading of an HTTP connection: host, schema as the scheme, port,
    # extra endpoint (path and query).
    "host": url.hostname,
    "schema": url.scheme,
    "port": url.port,
    "password": os.environ.get("SOCIALPULSE_ALERTS_WEBHOOK_TOKEN") or None,
    "extra_dejson": {"endpoint": endpoint} if endpoint else {},
}
fd = os.open(os.environ["SOCIALPULSE_CONN_FILE"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(fd, "w") as fh:
    json.dump({"socialpulse_alerts_webhook": conn}, fh)
PY
    # The output names the connection id only; checked because a refused import exits 0.
    out="$(airflow connections import --overwrite "$SOCIALPULSE_CONN_FILE" 2>&1)" || true
    if ! grep -q "Imported connection ${webhook_conn}" <<<"$out"; then
        log "could not save the connection ${webhook_conn}:"
        grep -v -i -e password -e token <<<"$out" >&2 || true
        exit 1
    fi
fi

log "done"
