#!/usr/bin/env bash
# Install Apache Superset in its own virtual environment, apart from the project's
# .venv (Superset pins Flask, SQLAlchemy and pandas ranges that Airflow and dbt do
# not share), plus Debian's headless Chromium and ChromeDriver for screenshots.
#
# Idempotent: a venv whose recorded requirements match is left alone, and so is
# a Chromium already at /usr/bin/chromium.
#
#   SUPERSET_VENV              where the venv goes (default <repo>/.venv-superset)
#   SUPERSET_PYTHON            interpreter for the venv (default python3.11)
#   SUPERSET_INSTALLER         uv | pip (default: uv when on PATH, else pip)
#   SUPERSET_SKIP_CHROMIUM=1   do not install Chromium (no screenshots then)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${SUPERSET_VENV:-$repo/.venv-superset}"
python="${SUPERSET_PYTHON:-python3.11}"
installer="${SUPERSET_INSTALLER:-}"
if [[ -z "$installer" ]]; then
    if command -v uv >/dev/null 2>&1; then installer=uv; else installer=pip; fi
fi

log() { printf 'install.sh: %s\n' "$*" >&2; }
start=$SECONDS

# --- Superset's venv ---------------------------------------------------------
# The stamp is the hash of what was asked for: change a pin and the venv is
# brought up to date on the next run.
stamp="$(cat "$here"/requirements*.txt "$here"/constraints*.txt 2>/dev/null \
    | sha256sum | cut -d' ' -f1)" || true
if [[ -x "$venv/bin/superset" && -f "$venv/.socialpulse-stamp" \
      && "$(cat "$venv/.socialpulse-stamp")" == "$stamp" ]]; then
    log "Superset venv up to date: $venv"
else
    log "installing Superset into $venv with $installer ..."
    if [[ ! -x "$venv/bin/python" ]]; then
        "$python" -m venv "$venv"
    fi
    # The venv lives in the work tree: keep it out of git whatever .gitignore says.
    printf '*\n' > "$venv/.gitignore"
    constraints=()
    [[ -f "$here/constraints.txt" ]] && constraints=(-c "$here/constraints.txt")
    if [[ "$installer" == uv ]]; then
        uv pip install --python "$venv/bin/python" --quiet \
            -r "$here/requirements.txt" "${constraints[@]}"
    else
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            -r "$here/requirements.txt" "${constraints[@]}"
    fi
    "$venv/bin/python" -c "import superset, duckdb, duckdb_engine, selenium" \
        || { log "Superset venv incomplete: an import failed (see above)"; exit 1; }
    printf '%s\n' "$stamp" > "$venv/.socialpulse-stamp"
    log "Superset installed in $((SECONDS - start)) s"
fi

# --- Headless Chromium for dashboard screenshots -----------------------------
if [[ "${SUPERSET_SKIP_CHROMIUM:-0}" == 1 ]]; then
    log "Chromium skipped (SUPERSET_SKIP_CHROMIUM=1)"
elif [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    log "Chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
else
    if [[ "$(id -u)" != 0 ]]; then
        log "Chromium missing: run as root, or 'sudo apt-get install -y chromium chromium-driver'"
        exit 1
    fi
    t=$SECONDS
    log "installing Debian's chromium and chromium-driver ..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        chromium chromium-driver fonts-dejavu-core >/dev/null
    log "Chromium installed in $((SECONDS - t)) s"
fi

log "done in $((SECONDS - start)) s: $venv/bin/superset"
