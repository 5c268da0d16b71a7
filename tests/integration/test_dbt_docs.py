"""Every mart is documented, under contract and read by an exposure (what `dbt docs` shows)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from socialpulse.settings import REPO_ROOT

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    target = tmp_path_factory.mktemp("dbt_docs_target")
    dbt = str(Path(sys.executable).parent / "dbt")
    args = ["parse", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project", "--target-path", str(target)]
    proc = subprocess.run([dbt, *args], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return json.loads((target / "manifest.json").read_text())


def marts(manifest: dict) -> dict[str, dict]:
    return {
        n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["fqn"][1] == "marts"
    }


def test_every_mart_is_described_column_by_column_and_under_contract(manifest):
    found = marts(manifest)
    assert len(found) >= 20
    for name, node in found.items():
        assert node["description"].strip(), f"{name}: no description"
        description = node["description"].lower()
        assert "grain" in description or "one row per" in description, f"{name}: the description states no grain"
        assert node["config"]["contract"]["enforced"], f"{name}: contract not enforced"
        assert node["columns"], f"{name}: no columns documented"
        undocumented = [c for c, col in node["columns"].items() if not col["description"].strip()]
        assert not undocumented, f"{name}: undocumented columns {undocumented}"


def test_every_mart_has_a_key_test_and_an_exposure_reading_it(manifest):
    found = marts(manifest)
    tested = {
        dep.split(".")[-1]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test"
        and (n.get("test_metadata") or {}).get("name") in ("unique", "unique_combination_of_columns")
        for dep in n["depends_on"]["nodes"]
    } | {
        dep.split(".")[-1]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test"
        for dep in n["depends_on"]["nodes"]
        if "unique" in n["name"]
    }
    assert not set(found) - tested, f"marts without a key test: {sorted(set(found) - tested)}"
    exposed = {dep.split(".")[-1] for e in manifest["exposures"].values() for dep in e["depends_on"]["nodes"]}
    assert not set(found) - exposed, f"marts no exposure reads: {sorted(set(found) - exposed)}"
