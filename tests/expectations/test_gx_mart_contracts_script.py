"""scripts/gx_mart_contracts.py: the mart suites' structure, generated from the dbt contracts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from gx_builders import CONTEXT_ROOT

from scripts import gx_mart_contracts as script

MODELS = CONTEXT_ROOT.parent / "dbt_project" / "models" / "marts"


def _suite(root: Path, mart: str) -> dict:
    return json.loads((root / "expectations" / "marts" / f"{mart}.json").read_text())


def _edit_contract(models: Path, mart: str, edit) -> None:
    """Apply `edit(model_dict)` to the contract of `mart` in a copied models folder."""
    for path in models.glob("_marts__*.yml"):
        doc = yaml.safe_load(path.read_text())
        for model in doc.get("models") or []:
            if model["name"] == mart:
                edit(model)
                path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
                return
    raise AssertionError(f"{mart} not found")


@pytest.fixture
def copies(tmp_path):
    """Writable copies of the mart contracts and of the GX context."""
    models, context = tmp_path / "marts", tmp_path / "expectations"
    shutil.copytree(MODELS, models)
    shutil.copytree(CONTEXT_ROOT, context, ignore=shutil.ignore_patterns("uncommitted"))
    return models, context


def test_every_contract_type_has_a_pandas_kind():
    contracts = script.mart_contracts()
    assert len(contracts) >= 25
    used = {t for columns in contracts.values() for t in columns.values()}
    assert used <= set(script.PANDAS_KIND), used - set(script.PANDAS_KIND)


def test_structure_is_the_exact_column_set_then_one_type_per_column():
    contract = {"comment_id": "varchar", "created_at": "timestamp with time zone", "age_hours": "double"}
    assert script.structure_expectations(contract) == [
        {
            "type": "expect_table_columns_to_match_set",
            "kwargs": {"column_set": ["comment_id", "created_at", "age_hours"], "exact_match": True},
        },
        {"type": "expect_column_values_to_be_of_type", "kwargs": {"column": "comment_id", "type_": "str"}},
        {"type": "expect_column_values_to_be_of_type", "kwargs": {"column": "created_at", "type_": "Timestamp"}},
        {"type": "expect_column_values_to_be_of_type", "kwargs": {"column": "age_hours", "type_": "float64"}},
    ]
    with pytest.raises(ValueError, match="hugeint"):
        script.structure_expectations({"n": "hugeint"})


def test_committed_suites_agree_with_the_contracts():
    drifted = {mart: problem for mart, problem in script.drift().items() if problem != "no suite"}
    assert drifted == {}


def test_check_reports_a_contract_change(copies, capsys):
    models, context = copies
    _edit_contract(models, "fct_comments", lambda m: m["columns"].append({"name": "lang", "data_type": "varchar"}))
    _edit_contract(models, "dim_topics", lambda m: m["columns"][-1].update(data_type="varchar"))
    problems = script.drift(models, context)
    assert "lang" in problems["fct_comments"]
    assert problems["dim_topics"] == "types (suite, contract) {'is_fallback': ('bool', 'str')}"


def test_write_rewrites_the_structure_and_keeps_the_value_checks(copies):
    models, context = copies
    before = _suite(context, "fct_comments")
    _edit_contract(models, "fct_comments", lambda m: m["columns"].append({"name": "lang", "data_type": "varchar"}))
    script.write(["fct_comments"], models, context)
    after = _suite(context, "fct_comments")
    columns, types = script.suite_structure(after)
    assert "lang" in columns and types["lang"] == "str"
    checks = [(e["type"], e["kwargs"]) for e in before["expectations"] if e["type"] not in script.STRUCTURE]
    assert [(e["type"], e["kwargs"]) for e in after["expectations"] if e["type"] not in script.STRUCTURE] == checks
    assert after["meta"] == before["meta"]
    assert script.drift(models, context).get("fct_comments") is None


def test_write_creates_a_suite_for_a_new_mart(copies):
    models, context = copies
    new = {"name": "rpt_new", "columns": [{"name": "day", "data_type": "date"}, {"name": "n", "data_type": "bigint"}]}
    path = models / "_marts__new.yml"
    path.write_text(yaml.safe_dump({"version": 2, "models": [new]}))
    script.write(["rpt_new"], models, context)
    columns, types = script.suite_structure(_suite(context, "rpt_new"))
    assert columns == {"day", "n"} and types == {"day": "datetime64", "n": "int64"}
    definition = json.loads((context / "validation_definitions" / "marts.rpt_new.json").read_text())
    assert definition["data"]["asset"]["name"] == "marts.rpt_new"
    checkpoint = json.loads((context / "checkpoints" / "marts.json").read_text())
    assert "marts.rpt_new" in [vd["name"] for vd in checkpoint["validation_definitions"]]
    assert "marts.rpt_new:" in (context / "great_expectations.yml").read_text()
    with pytest.raises(ValueError, match="rpt_unknown"):
        script.write(["rpt_unknown"], models, context)


def test_main_checks_then_writes(copies, monkeypatch, capsys):
    models, context = copies
    monkeypatch.setattr(script, "MODELS_DIR", models)
    monkeypatch.setattr(script, "CONTEXT_ROOT", context)
    _edit_contract(models, "dim_topics", lambda m: m["columns"].pop())
    assert script.main(["--check"]) == 1
    assert "marts.dim_topics: column set" in capsys.readouterr().out
    assert script.main(["--write", "dim_topics"]) == 0
    assert "marts.dim_topics: structure rewritten" in capsys.readouterr().out
    assert "dim_topics" not in script.drift()
    before = (context / "expectations" / "marts" / "dim_topics.json").read_text()
    assert script.main(["--write", "dim_topics"]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert (context / "expectations" / "marts" / "dim_topics.json").read_text() == before
