# syntax=docker/dockerfile:1
# The Airflow image of socialpulse: the official Airflow image extended with the
# project's locked dependencies (uv.lock) and its code, as Airflow's "extending the
# image" guide does it (pip, as the airflow user, with Airflow pinned). Built by
# `docker compose build`; every Airflow service and the sandbox of docker-compose.yml
# run it.
#
# Layout: the project lives in /opt/socialpulse (its REPO_ROOT: dbt_project/,
# expectations/, config/ resolve from there), installed editable so that the
# `socialpulse` CLI and Airflow's tasks import it from there; the data volume is
# mounted at /opt/socialpulse/data (SOCIALPULSE_HOME). AIRFLOW_HOME stays /opt/airflow.
FROM apache/airflow:3.3.2-python3.11

# No telemetry anywhere (the same switches as plugins/socialpulse/settings.py).
ENV DO_NOT_TRACK=1 \
    SCARF_ANALYTICS=false \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    GX_ANALYTICS_ENABLED=false \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False \
    AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY=False \
    AIRFLOW__USAGE_DATA_COLLECTION__ENABLED=False \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/socialpulse/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/socialpulse/plugins \
    SOCIALPULSE_HOME=/opt/socialpulse/data \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_NO_CACHE=1

# uv only reads uv.lock here (uv export); pip installs, as the Airflow docs do it.
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv

USER root
# Group 0 may write, as everywhere in this image: the services run as AIRFLOW_UID:0.
# /opt/airflow/auth holds SimpleAuthManager's passwords file (a named volume).
RUN mkdir -p /opt/socialpulse/data /opt/airflow/auth \
    && chown -R airflow:0 /opt/socialpulse /opt/airflow/auth \
    && chmod 775 /opt/socialpulse /opt/socialpulse/data \
    && chmod 770 /opt/airflow/auth
USER airflow
WORKDIR /opt/socialpulse

# 1. The locked dependencies: this layer changes only with uv.lock. The export pins
#    every package of the lock (apache-airflow==3.3.2 among them); pinning Airflow on
#    the command line as well makes pip fail rather than move it.
COPY --chown=airflow:0 pyproject.toml uv.lock ./
RUN uv export --frozen --no-dev --no-hashes --no-emit-project --output-file /tmp/requirements.txt \
    && pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# 2. The project itself, editable: its code stays here, under REPO_ROOT.
COPY --chown=airflow:0 README.md ./
COPY --chown=airflow:0 plugins/ plugins/
COPY --chown=airflow:0 sandbox/ sandbox/
RUN pip install --no-cache-dir --no-deps --editable .
COPY --chown=airflow:0 dags/ dags/
COPY --chown=airflow:0 dbt_project/ dbt_project/
COPY --chown=airflow:0 expectations/ expectations/
COPY --chown=airflow:0 config/ config/
COPY --chown=airflow:0 stack/airflow/ stack/airflow/

# 3. The manifest Cosmos renders the build DAG from (no dbt at DAG parse time); dbt's
#    own log of the parse is not part of the image.
RUN cd dbt_project \
    && dbt parse --profiles-dir . --quiet \
    && test -s target/manifest.json \
    && rm -rf logs \
    && chmod -R g+rwX /opt/socialpulse

# The DAGs start dbt as `<directory of sys.executable>/dbt`: with pip's user install
# dbt is in ~/.local/bin, beside neither python; link it there when it is missing.
RUN command -v dbt > /tmp/dbt-path
USER root
RUN bindir="$(dirname "$(python -c 'import sys; print(sys.executable)')")" \
    && { [ -x "${bindir}/dbt" ] || ln -s "$(cat /tmp/dbt-path)" "${bindir}/dbt"; } \
    && rm /tmp/dbt-path
USER airflow

# A failed import fails the build, not the first DAG run.
RUN python -c "import socialpulse.settings, sandbox.cli, cosmos, great_expectations, duckdb"
