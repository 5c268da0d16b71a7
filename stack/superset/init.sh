#!/usr/bin/env bash
# Start Superset for socialpulse: migrate its metadata database, create (or reset) the
# admin from the environment, sync roles, import the dashboard bundle, then serve.
# The container's entrypoint (Dockerfile) and the native check (bi_check.py) both run
# this same script; every step is idempotent, so a restart replays it safely.
#
#   SUPERSET_SECRET_KEY        required, 32 characters or more (superset_config.py refuses less)
#   SUPERSET_ADMIN_USERNAME    admin     SUPERSET_ADMIN_PASSWORD   admin
#   SUPERSET_ADMIN_EMAIL       admin@example.org
#   SUPERSET_PORT              8088      SUPERSET_BIND             0.0.0.0
#   SUPERSET_WORKERS           2         (gunicorn worker processes, 4 threads each)
#   SUPERSET_VENV              when set, its bin/ goes first on PATH (native runs)
#   SUPERSET_CONFIG_PATH       default: superset_config.py beside this script
#   SUPERSET_INIT_ONLY=1       stop after the import, serve nothing
#   SOCIALPULSE_HOME           where warehouse.duckdb is (default ./data)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ -n "${SUPERSET_VENV:-}" ]]; then
    export PATH="$SUPERSET_VENV/bin:$PATH"
fi
export SUPERSET_CONFIG_PATH="${SUPERSET_CONFIG_PATH:-$here/superset_config.py}"
export FLASK_APP="superset.app:create_app()"

log() { printf 'init.sh: %s\n' "$*" >&2; }

if [[ -z "${SUPERSET_SECRET_KEY:-}" ]]; then
    log "SUPERSET_SECRET_KEY is not set (e.g. export SUPERSET_SECRET_KEY=\$(openssl rand -base64 42))"
    exit 2
fi
superset_bin="$(command -v superset)" || { log "no superset on PATH (set SUPERSET_VENV)"; exit 2; }
python="$(dirname "$superset_bin")/python"

admin_user="${SUPERSET_ADMIN_USERNAME:-admin}"
admin_password="${SUPERSET_ADMIN_PASSWORD:-admin}"
admin_email="${SUPERSET_ADMIN_EMAIL:-admin@example.org}"

t0=$SECONDS
log "superset db upgrade"
superset db upgrade
log "admin user $admin_user"
superset fab create-admin --username "$admin_user" --firstname Superset --lastname Admin \
    --email "$admin_email" --password "$admin_password"
# An admin that already existed keeps the password of the environment, not an old one.
superset fab reset-password --username "$admin_user" --password "$admin_password"
log "superset init (roles and permissions)"
superset init
log "import the dashboard bundle"
SUPERSET_ADMIN_USERNAME="$admin_user" "$python" "$here/provision.py"
log "initialised in $((SECONDS - t0)) s"

if [[ "${SUPERSET_INIT_ONLY:-0}" == 1 ]]; then
    exit 0
fi

bind="${SUPERSET_BIND:-0.0.0.0}:${SUPERSET_PORT:-8088}"
log "serving on http://$bind"
exec gunicorn \
    --bind "$bind" \
    --workers "${SUPERSET_WORKERS:-2}" \
    --worker-class gthread \
    --threads 4 \
    --timeout 120 \
    --limit-request-line 0 \
    --limit-request-field_size 0 \
    "superset.app:create_app()"
