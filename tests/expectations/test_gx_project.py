"""The committed GX project loads, and its suites agree with the contracts they guard."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from gx_builders import CONTEXT_ROOT, RAW_ENTITIES

from socialpulse.landing_schemas import SCHEMAS, schema_for
from socialpulse.quality import open_context, suite_parameters, validation_definitions

REPO = CONTEXT_ROOT.parent
MART_CONTRACTS = REPO / "dbt_project" / "models" / "marts"  # _marts__*.yml
MARTS = (
    "fct_account_daily",
    "fct_post_engagement",
    "dim_posts",
    "dim_accounts",
    "dim_dates",
    "dim_platforms",
    "dim_topics",
    "bdg_post_topics",
    "fct_post_snapshots",
    "fct_post_daily",
    "fct_topic_engagement_daily",
    "rpt_weekly_comparison",
    "rpt_top_posts_weekly",
    "rpt_best_format",
    "rpt_best_hour",
    "fct_audience_daily",
    "rpt_youth_audience_monthly",
    "fct_carbon_daily",
    "fct_carbon_post_daily",
    "fct_comments",
    "bdg_comment_topics",
    "rpt_moderation_queue",
    "rpt_response_times_weekly",
    "rpt_topic_trends",
    "rpt_topic_spikes",
    "rpt_data_freshness",
    "rpt_token_health",
)
# Bridges have three columns: their structure and three value checks make a full suite.
NARROW_MARTS = {"marts.bdg_post_topics", "marts.bdg_comment_topics"}
# Marts with no date the run bounds, and why (every other suite bounds one by the audited ds).
NOT_BOUND_BY_THE_RUN = {
    "marts.dim_platforms": "no date",
    "marts.dim_topics": "no date",
    "marts.rpt_token_health": "no date the run bounds: one row per configured account",
    "marts.bdg_post_topics": "no date",
    "marts.bdg_comment_topics": "no date",
    # comments are listed without a time window (raw.*__comments): a backfill sees newer ones
    "marts.fct_comments": "comments",
    "marts.rpt_response_times_weekly": "comments",
    "marts.rpt_topic_trends": "comments",
    "marts.rpt_topic_spikes": "comments",
}
CHECKS = {  # cross-row checks (socialpulse.audit_checks): checkpoint by the layer they gate
    "checks.account_day_coverage": "checks_raw",
    "checks.post_counter_deltas": "checks_marts",
    "checks.mart_volume": "checks_marts",
    "checks.metric_population": "checks_marts",
}
# suites with a checkpoint of their own (the gate they serve), not "marts" / "raw_<platform>"
OWN_CHECKPOINT = {**CHECKS, "marts.rpt_data_freshness": "freshness"}
SUITES = [f"raw.{p}__{e}" for p, e in sorted(SCHEMAS)] + [f"marts.{m}" for m in MARTS] + list(CHECKS)
PANDAS_KIND = {  # what DuckDB types look like once read with .df()
    "varchar": "str",
    "bigint": "int64",
    "double": "float64",
    "boolean": "bool",
    "date": "datetime64",
    "timestamp with time zone": "Timestamp",
    "timestamptz": "Timestamp",
    "integer": "int32",  # Int32 when nullable: same numpy scalar type
    "timestamp": "datetime64",
}


@pytest.fixture(scope="module")
def context():
    return open_context(CONTEXT_ROOT)


@pytest.fixture(scope="module")
def definitions(context):
    return validation_definitions(context)


def _suite_json(name: str) -> dict:
    layer, table = name.split(".")
    return json.loads((CONTEXT_ROOT / "expectations" / layer / f"{table}.json").read_text())


def _column_types(suite: dict) -> dict[str, str]:
    return {
        e["kwargs"]["column"]: e["kwargs"]["type_"]
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_be_of_type"
    }


def _column_set(suite: dict) -> set[str]:
    (exp,) = [e for e in suite["expectations"] if e["type"] == "expect_table_columns_to_match_set"]
    assert exp["kwargs"].get("exact_match", True) is not False
    return set(exp["kwargs"]["column_set"])


def test_context_is_the_committed_file_context_without_telemetry(context):
    assert type(context).__name__ == "FileDataContext"
    assert Path(context.root_directory).resolve() == CONTEXT_ROOT.resolve()
    assert context.variables.analytics_enabled is False
    assert context.progress_bars["globally"] is False
    assert context.progress_bars["metric_calculations"] is False
    assert (CONTEXT_ROOT / ".gitignore").read_text().split() == ["uncommitted/"]


def test_every_suite_is_non_empty_and_validated_by_one_definition(context, definitions):
    suites = {s.name: s for s in context.suites.all()}
    assert sorted(suites) == sorted(SUITES)
    for name, suite in suites.items():
        assert len(suite.expectations) >= (2 if name in CHECKS else 7 if name in NARROW_MARTS else 10), name
        assert suite.meta.get("row_id_columns"), f"{name}: meta.row_id_columns names the rows in messages"
    assert sorted(definitions) == sorted(SUITES)
    assert len(context.validation_definitions.all()) == len(SUITES)


def test_definitions_read_whole_dataframes_of_duckdb_batches(definitions):
    for suite, vd in definitions.items():
        assert vd.name == suite
        assert vd.data_source.name == "duckdb_batches"
        assert vd.data_source.type == "pandas"
        assert vd.asset.name == suite and vd.asset.type == "dataframe"
        assert vd.batch_definition.name == "whole_dataframe"


def test_every_definition_belongs_to_one_checkpoint(context, definitions):
    members: dict[str, list[str]] = {}
    for checkpoint in context.checkpoints.all():
        for vd in checkpoint.validation_definitions:
            members.setdefault(vd.name, []).append(checkpoint.name)
    # one checkpoint per layer, and per platform for raw
    assert members == {
        name: [
            OWN_CHECKPOINT.get(name)
            or ("marts" if name.startswith("marts.") else f"raw_{name.split('.')[1].split('__')[0]}")
        ]
        for name in definitions
    }


@pytest.mark.parametrize("entity", RAW_ENTITIES)
def test_raw_suite_matches_the_landing_contract(entity):
    suite = _suite_json(f"raw.facebook__{entity}")
    landing = schema_for("facebook", entity)
    expected = {*landing.names, "_landing_file", "_loaded_at"}
    assert _column_set(suite) == expected
    assert set(_column_types(suite)) == expected
    required = {f.name for f in landing if not f.nullable} | {"_landing_file", "_loaded_at"}
    not_null = {
        e["kwargs"]["column"] for e in suite["expectations"] if e["type"] == "expect_column_values_to_not_be_null"
    }
    assert not_null == required
    (unique,) = [e for e in suite["expectations"] if e["type"] == "expect_compound_columns_to_be_unique"]
    assert set(unique["kwargs"]["column_list"]) <= required, "key columns must be non-nullable"


@pytest.mark.skipif(not MART_CONTRACTS.exists(), reason="dbt mart contracts not in this checkout")
@pytest.mark.parametrize("model", MARTS)
def test_mart_suite_matches_the_dbt_contract(model):
    models = {
        m["name"]: m
        for path in sorted(MART_CONTRACTS.glob("_marts__*.yml"))
        for m in yaml.safe_load(path.read_text())["models"]
    }
    contract = {c["name"]: PANDAS_KIND[c["data_type"]] for c in models[model]["columns"]}
    suite = _suite_json(f"marts.{model}")
    assert _column_set(suite) == set(contract)
    assert _column_types(suite) == contract


@pytest.mark.parametrize("model", MARTS)
def test_mart_suites_leave_keys_and_nulls_to_dbt(model):
    """CONVENTIONS rule 15: dbt tests and contracts own keys and nulls; no check twice."""
    owned_by_dbt = {
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_column_values_to_not_be_null",
        "expect_select_column_values_to_be_unique_within_record",
        "expect_multicolumn_values_to_be_unique",
    }
    types = {e["type"] for e in _suite_json(f"marts.{model}")["expectations"]}
    assert not types & owned_by_dbt


@pytest.mark.parametrize("suite", SUITES)
def test_every_suite_parameter_is_provided_by_the_audit(suite):
    text = json.dumps(_suite_json(suite))
    provided = suite_parameters(date(2026, 11, 19))
    used = {part.split('"')[0] for part in text.split('{"$PARAMETER": "')[1:]}
    if suite in NOT_BOUND_BY_THE_RUN:
        assert not used, f"{suite} bounds a date: take it out of NOT_BOUND_BY_THE_RUN"
    else:
        assert used, f"{suite} bounds no date"
    assert used <= set(provided)
