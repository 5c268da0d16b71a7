"""The Superset bundle (stack/superset/assets/), checked without Superset.

What an import or a dashboard would only show at run time is checked here, fast:
- the bundle is whole: every chart's dataset, every dataset's database and every chart
  on the dashboard exist, uuids are unique, the dashboard holds every chart;
- charts name only the columns and saved metrics their dataset has, in ``params`` (what
  the dashboard draws) and in ``query_context`` (what the API and bi_check.py run);
- every dataset's SQL binds against the marts as their dbt contracts declare them
  (empty DuckDB tables typed from ``_marts__*.yml``) and returns the columns its YAML
  lists; a physical dataset lists the mart's columns;
- the database stays read-only, off the network and the file system, with its URI
  templated (no machine's path committed); provision.py renders and zips it;
- duckdb is pinned at the project's locked version, and the Dockerfile copies only what
  its build context (stack/superset) holds.
The run against a real warehouse is stack/superset/run_check.sh.
"""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from pathlib import Path

import duckdb
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SUPERSET_DIR = REPO_ROOT / "stack" / "superset"
ASSETS = SUPERSET_DIR / "assets"
MARTS_MODELS = REPO_ROOT / "dbt_project" / "models" / "marts"
PLACEHOLDER = "__SOCIALPULSE_WAREHOUSE_URI__"


def _load(folder: str) -> dict[str, dict]:
    return {
        p.relative_to(ASSETS).as_posix(): yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((ASSETS / folder).rglob("*.yaml"))
    }


@pytest.fixture(scope="module")
def bundle() -> dict[str, dict[str, dict]]:
    return {kind: _load(kind) for kind in ("databases", "datasets", "charts", "dashboards")}


@pytest.fixture(scope="module")
def datasets_by_uuid(bundle) -> dict[str, dict]:
    return {d["uuid"]: d for d in bundle["datasets"].values()}


def _dashboard_chart_uuids(dashboard: dict) -> list[str]:
    return [
        node["meta"]["uuid"]
        for node in dashboard["position"].values()
        if isinstance(node, dict) and node.get("type") == "CHART"
    ]


def test_bundle_is_whole(bundle):
    assert yaml.safe_load((ASSETS / "metadata.yaml").read_text())["version"] == "1.0.0"
    assert len(bundle["databases"]) == 1
    assert len(bundle["dashboards"]) == 1
    uuids = [obj["uuid"] for kind in bundle.values() for obj in kind.values()]
    assert len(uuids) == len(set(uuids)), "duplicate uuid in the bundle"

    database_uuid = next(iter(bundle["databases"].values()))["uuid"]
    dataset_uuids = {d["uuid"] for d in bundle["datasets"].values()}
    for path, dataset in bundle["datasets"].items():
        assert dataset["database_uuid"] == database_uuid, path
    for path, chart in bundle["charts"].items():
        assert chart["dataset_uuid"] in dataset_uuids, f"{path}: unknown dataset"

    dashboard = next(iter(bundle["dashboards"].values()))
    assert dashboard["dashboard_title"] == "Community managers — socialpulse"
    on_dashboard = _dashboard_chart_uuids(dashboard)
    assert sorted(on_dashboard) == sorted(c["uuid"] for c in bundle["charts"].values())
    for node_id, node in dashboard["position"].items():
        if isinstance(node, dict):
            for child in node.get("children", []):
                assert child in dashboard["position"], f"{node_id} names a missing child {child}"


def test_dashboard_covers_the_community_managers_questions(bundle, datasets_by_uuid):
    """Weekly KPIs (WoW, YoY), topics, youth reach, moderation queue, carbon: each mart."""
    sources = " ".join(
        (datasets_by_uuid[c["dataset_uuid"]].get("sql") or datasets_by_uuid[c["dataset_uuid"]]["table_name"])
        for c in bundle["charts"].values()
    )
    for mart in (
        "rpt_weekly_comparison",
        "fct_topic_engagement_daily",
        "rpt_youth_audience_monthly",
        "rpt_moderation_queue",
        "fct_carbon_daily",
    ):
        assert mart in sources, f"no chart reads marts.{mart}"


def _referenced_names(chart: dict) -> tuple[set[str], set[str]]:
    """(columns, saved metrics) a chart names in params and in its query_context."""
    params = chart["params"]
    columns: set[str] = set()
    metrics: set[str] = set()
    for key in ("x_axis", "groupby", "all_columns", "columns"):
        value = params.get(key)
        if isinstance(value, str):
            columns.add(value)
        elif isinstance(value, list):
            columns.update(v for v in value if isinstance(v, str))
    columns.update(json.loads(spec)[0] for spec in params.get("order_by_cols", []))
    columns.update(f["subject"] for f in params.get("adhoc_filters", []))
    if isinstance(params.get("metric"), str):
        metrics.add(params["metric"])
    metrics.update(m for m in params.get("metrics", []) if isinstance(m, str))

    context = json.loads(chart["query_context"])
    assert context["form_data"] == params, "query_context.form_data differs from params"
    for query in context["queries"]:
        columns.update(query.get("columns") or [])
        columns.update(f["col"] for f in query.get("filters", []))
        metrics.update(query.get("metrics") or [])
        for name, _ascending in query.get("orderby", []):
            (metrics if name in metrics else columns).add(name)
    return columns, metrics


def test_charts_name_only_what_their_dataset_has(bundle, datasets_by_uuid):
    for path, chart in bundle["charts"].items():
        dataset = datasets_by_uuid[chart["dataset_uuid"]]
        columns, metrics = _referenced_names(chart)
        known_columns = {c["column_name"] for c in dataset["columns"]}
        known_metrics = {m["metric_name"] for m in dataset["metrics"]}
        assert columns <= known_columns | known_metrics, f"{path}: unknown columns {columns - known_columns}"
        assert metrics <= known_metrics, f"{path}: unknown saved metrics {metrics - known_metrics}"
        assert chart["params"]["viz_type"] == chart["viz_type"], path


def _contract_columns() -> dict[str, list[tuple[str, str]]]:
    marts: dict[str, list[tuple[str, str]]] = {}
    for path in MARTS_MODELS.glob("_marts__*.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            marts[model["name"]] = [(c["name"], c["data_type"]) for c in model.get("columns", [])]
    return marts


@pytest.fixture(scope="module")
def empty_marts() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose marts are empty tables typed as the dbt contracts say."""
    con = duckdb.connect()
    con.execute("create schema marts")
    for name, columns in _contract_columns().items():
        if columns:
            cols = ", ".join(f'"{col}" {data_type}' for col, data_type in columns)
            con.execute(f"create table marts.{name} ({cols})")
    yield con
    con.close()


def test_datasets_bind_against_the_mart_contracts(bundle, empty_marts):
    contracts = _contract_columns()
    for path, dataset in bundle["datasets"].items():
        listed = [c["column_name"] for c in dataset["columns"]]
        assert dataset["schema"] == "marts", path
        if dataset.get("sql"):
            try:
                relation = empty_marts.sql(dataset["sql"])
            except duckdb.Error as exc:
                pytest.fail(f"{path}: its SQL does not bind against the marts' contracts: {exc}")
            assert sorted(relation.columns) == sorted(listed), f"{path}: SQL columns differ from the YAML"
        else:
            mart = contracts[dataset["table_name"]]
            assert sorted(listed) == sorted(c for c, _ in mart), f"{path}: columns differ from the contract"
        for metric in dataset["metrics"]:
            assert re.fullmatch(r"(SUM|MAX|COUNT)\((\*|[a-z_0-9]+)\)", metric["expression"]), metric
            inner = metric["expression"].split("(", 1)[1].rstrip(")")
            assert inner == "*" or inner in listed, f"{path}: metric {metric['metric_name']} on unknown {inner}"


def test_database_is_read_only_and_templated(bundle):
    database = next(iter(bundle["databases"].values()))
    assert database["sqlalchemy_uri"] == PLACEHOLDER
    connect_args = database["extra"]["engine_params"]["connect_args"]
    assert connect_args["read_only"] is True
    assert connect_args["config"]["enable_external_access"] is False
    assert connect_args["config"]["lock_configuration"] is True
    for flag in ("allow_dml", "allow_ctas", "allow_cvas", "allow_file_upload"):
        assert database[flag] is False, flag
    committed = "\n".join(p.read_text() for p in ASSETS.rglob("*.yaml"))
    # the warehouse path is templated at import time: no absolute path of a machine
    assert not re.search(r"duckdb:///+[A-Za-z]", committed)


def _provision_module():
    spec = importlib.util.spec_from_file_location("superset_provision", SUPERSET_DIR / "provision.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_provision_renders_and_zips_the_bundle(tmp_path, monkeypatch):
    monkeypatch.setenv("SOCIALPULSE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SUPERSET_STATE_DIR", raising=False)
    provision = _provision_module()
    home = provision.socialpulse_home()
    uri = provision.warehouse_uri(home)
    assert uri == f"duckdb:///{tmp_path / 'home' / 'warehouse.duckdb'}" and uri.startswith("duckdb:////")
    contents = provision.render_bundle(ASSETS, uri)
    assert PLACEHOLDER not in "".join(contents.values())
    assert yaml.safe_load(contents["databases/socialpulse_warehouse.yaml"])["sqlalchemy_uri"] == uri

    assert provision.main(["--zip-only"]) == 0
    target = tmp_path / "home" / "superset" / "socialpulse_assets.zip"
    with zipfile.ZipFile(target) as bundle_zip:
        names = bundle_zip.namelist()
    assert f"{provision.BUNDLE_ROOT}/metadata.yaml" in names
    assert len(names) == len(contents)


def test_duckdb_pin_is_the_project_lock():
    lock = (REPO_ROOT / "uv.lock").read_text()
    locked = re.search(r'\[\[package\]\]\nname = "duckdb"\nversion = "([^"]+)"', lock).group(1)
    pinned = re.search(r"^duckdb==(\S+)$", (SUPERSET_DIR / "requirements-duckdb.txt").read_text(), re.M).group(1)
    assert pinned == locked
    assert f"duckdb=={locked}" in (SUPERSET_DIR / "constraints.txt").read_text()
    assert f"duckdb.__version__ == '{locked}'" in (SUPERSET_DIR / "Dockerfile").read_text()


def test_dockerfile_copies_only_its_context_and_pins_the_base():
    dockerfile = (SUPERSET_DIR / "Dockerfile").read_text()
    assert re.search(r"^FROM apache/superset:\d+\.\d+\.\d+$", dockerfile, re.M)
    for line in dockerfile.splitlines():
        if line.startswith("COPY"):
            sources = [w for w in line.split()[1:-1] if not w.startswith("--")]
            for source in sources:
                assert (SUPERSET_DIR / source).exists(), f"COPY {source}: not in stack/superset"
                assert not source.startswith(("..", "/")), line
    assert "init.sh" in dockerfile
