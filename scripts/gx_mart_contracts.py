"""The structure half of the mart suites, generated from the dbt contracts.

Every mart suite restates its mart's enforced dbt contract (column names and types) as
a check of the frame about to be published (expectations/README.md). Those
expectations are derived here from `dbt_project/models/marts/_marts__*.yml`, never
typed by hand; the value checks (ranges, pairs, dates) are reviewed JSON and are left
alone.

    .venv/bin/python scripts/gx_mart_contracts.py --check
        exit 1, listing every mart whose suite's column set or types differ from its
        contract (or that has no suite);
    .venv/bin/python scripts/gx_mart_contracts.py --write fct_comments [...]
        replace the column-set and type expectations of those suites with the
        contract's (the other expectations are kept); a mart without a suite gets one,
        with its dataframe asset, validation definition and a place in the `marts`
        checkpoint, holding the structure only: add its value checks next.

`--write` opens the GX File Data Context just before writing and closes nothing in
between: GX rewrites great_expectations.yml and checkpoints/marts.json when it adds
an asset or a definition, so run it alone and check `git diff expectations/`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
MODELS_DIR = REPO / "dbt_project" / "models" / "marts"
CONTEXT_ROOT = REPO / "expectations"
DATASOURCE = "duckdb_batches"
BATCH_DEFINITION = "whole_dataframe"
CHECKPOINT = "marts"

# What a contract type looks like once DuckDB's `.df()` has read it (TimeZone UTC),
# named as GX's expect_column_values_to_be_of_type compares it: nullable integers
# arrive as pandas' Int64/Int32, whose scalar type is numpy's int64/int32.
PANDAS_KIND = {
    "varchar": "str",
    "bigint": "int64",
    "integer": "int32",
    "double": "float64",
    "boolean": "bool",
    "date": "datetime64",
    "timestamp": "datetime64",
    "timestamp with time zone": "Timestamp",
    "timestamptz": "Timestamp",
}
STRUCTURE = ("expect_table_columns_to_match_set", "expect_column_values_to_be_of_type")


def mart_contracts(models_dir: Path | None = None) -> dict[str, dict[str, str]]:
    """{mart: {column: contract data_type}} of every mart, columns in contract order."""
    contracts: dict[str, dict[str, str]] = {}
    for path in sorted((models_dir or MODELS_DIR).glob("_marts__*.yml")):
        for model in yaml.safe_load(path.read_text()).get("models") or []:
            contracts[model["name"]] = {c["name"]: c["data_type"].lower() for c in model["columns"]}
    return contracts


def pandas_kinds(contract: dict[str, str]) -> dict[str, str]:
    unknown = sorted({t for t in contract.values() if t not in PANDAS_KIND})
    if unknown:
        raise ValueError(f"no pandas kind for contract type(s) {unknown}: extend PANDAS_KIND")
    return {column: PANDAS_KIND[data_type] for column, data_type in contract.items()}


def structure_expectations(contract: dict[str, str]) -> list[dict[str, Any]]:
    """The exact column set, then one type check per column, as GX configuration dicts."""
    kinds = pandas_kinds(contract)
    return [
        {"type": STRUCTURE[0], "kwargs": {"column_set": list(kinds), "exact_match": True}},
        *({"type": STRUCTURE[1], "kwargs": {"column": c, "type_": k}} for c, k in kinds.items()),
    ]


def suite_structure(suite: dict[str, Any]) -> tuple[set[str] | None, dict[str, str]]:
    """Column set and {column: type_} that a committed suite's JSON checks."""
    sets = [e["kwargs"]["column_set"] for e in suite["expectations"] if e["type"] == STRUCTURE[0]]
    types = {e["kwargs"]["column"]: e["kwargs"]["type_"] for e in suite["expectations"] if e["type"] == STRUCTURE[1]}
    return (set(sets[0]) if len(sets) == 1 else None), types


def drift(models_dir: Path | None = None, context_root: Path | None = None) -> dict[str, str]:
    """{mart: what differs} for every mart whose suite disagrees with its contract."""
    problems = {}
    for mart, contract in mart_contracts(models_dir).items():
        path = (context_root or CONTEXT_ROOT) / "expectations" / "marts" / f"{mart}.json"
        if not path.is_file():
            problems[mart] = "no suite"
            continue
        columns, types = suite_structure(json.loads(path.read_text()))
        kinds = pandas_kinds(contract)
        if columns != set(kinds):
            problems[mart] = f"column set {sorted(columns or [])} != contract {sorted(kinds)}"
        elif types != kinds:
            wrong = {c: (types.get(c), k) for c, k in kinds.items() if types.get(c) != k}
            problems[mart] = f"types (suite, contract) {wrong}"
    return problems


def write(marts: list[str], models_dir: Path | None = None, context_root: Path | None = None) -> list[str]:
    """Set the structure expectations of `marts.<mart>` suites from the contracts."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    contracts = mart_contracts(models_dir)
    missing = sorted(set(marts) - set(contracts))
    if missing:
        raise ValueError(f"not marts with a contract in {models_dir or MODELS_DIR}: {missing}")
    context = gx.get_context(mode="file", context_root_dir=str(context_root or CONTEXT_ROOT))
    done = []
    for mart in marts:
        name = f"marts.{mart}"
        structure = [ExpectationConfiguration(**e).to_domain_obj() for e in structure_expectations(contracts[mart])]
        if name in {s.name for s in context.suites.all()}:
            suite = context.suites.get(name)
            current = suite_structure({"expectations": [e.configuration.to_json_dict() for e in suite.expectations]})
            if current == (set(contracts[mart]), pandas_kinds(contracts[mart])):
                done.append(f"{name}: structure already matches the contract, unchanged")
                continue
            kept = [e for e in suite.expectations if e.expectation_type not in STRUCTURE]
            for expectation in [e for e in suite.expectations if e.expectation_type in STRUCTURE]:
                suite.delete_expectation(expectation)
            for expectation in structure:
                suite.add_expectation(expectation)
            # structure first, the value checks after, as they were (same ids)
            suite.expectations = [e for e in suite.expectations if e.expectation_type in STRUCTURE] + kept
            suite.save()
            done.append(f"{name}: structure rewritten, {len(kept)} other expectation(s) kept")
            continue
        asset = context.data_sources.get(DATASOURCE).add_dataframe_asset(name)
        batch = asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)
        suite = context.suites.add(
            gx.ExpectationSuite(name=name, meta={"layer": "marts", "row_id_columns": []}, expectations=structure)
        )
        vd = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
        checkpoint = context.checkpoints.get(CHECKPOINT)
        checkpoint.validation_definitions.append(vd)
        checkpoint.save()
        done.append(f"{name}: new suite with structure only (set meta.row_id_columns, add value checks)")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="list marts whose suite differs from the contract")
    mode.add_argument("--write", nargs="+", metavar="MART", help="rewrite these suites' structure")
    args = parser.parse_args(argv)
    if args.check:
        problems = drift()
        for mart, problem in problems.items():
            print(f"marts.{mart}: {problem}")
        return 1 if problems else 0
    for line in write(args.write):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
