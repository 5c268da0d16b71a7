#!/usr/bin/env bash
# The BI check against a published warehouse, with Superset's own Python:
#   SOCIALPULSE_HOME=/path/to/home [SUPERSET_PORT=8088] stack/superset/run_check.sh [--no-screenshot]
# Installs nothing: run stack/superset/install.sh first. See bi_check.py for the steps.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${SUPERSET_VENV:-$repo/.venv-superset}"
if [[ ! -x "$venv/bin/superset" ]]; then
    echo "run_check.sh: no Superset in $venv: run stack/superset/install.sh first" >&2
    exit 2
fi
export SUPERSET_VENV="$venv"
exec "$venv/bin/python" "$here/bi_check.py" "$@"
