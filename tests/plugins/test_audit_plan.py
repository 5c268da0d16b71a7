"""The audit plan: raw suites on exactly the partitions loaded, mart suites on what they feed."""

from __future__ import annotations

import duckdb

from socialpulse.audit_plan import MART_SCOPES, plan_targets
from socialpulse.connectors import CONNECTORS
from socialpulse.load import ensure_raw_tables


def loaded(*parts, max_ds="2026-11-19"):
    keys = ("platform", "entity", "ds", "account_key")
    return {"max_ds": max_ds, "partitions": [dict(zip(keys, p, strict=True)) for p in parts]}


def test_raw_targets_cover_the_loaded_partitions_only():
    plan = plan_targets(
        loaded(
            ("facebook", "posts", "2026-11-19", "a"),
            ("facebook", "posts", "2026-11-18", "b"),
            ("facebook", "page_snapshots", "2026-11-19", "a"),
        )
    )
    raw = {t["table"]: t for t in plan["raw"]}
    assert set(raw) == {"raw.facebook__posts", "raw.facebook__page_snapshots"}
    assert raw["raw.facebook__posts"]["where"] == (
        "(_ds::varchar || '|' || _account_key) in ('2026-11-18|b', '2026-11-19|a') "
        "and _landing_file not like '%/hour=%'"
    )
    assert raw["raw.facebook__posts"]["allow_empty"] and not raw["raw.facebook__page_snapshots"]["allow_empty"]
    assert {t["table"] for t in plan["marts"]} == set(MART_SCOPES["facebook"])
    assert all(t["as_of"] == "2026-11-19" for t in plan["marts"])


def test_nothing_new_rechecks_the_newest_partitions():
    plan = plan_targets(
        {
            "max_ds": "2026-11-19",
            "partitions": [],
            "latest": [{"platform": "facebook", "entity": "posts", "ds": "2026-11-19", "account_key": "a"}],
        }
    )
    assert [t["table"] for t in plan["raw"]] == ["raw.facebook__posts"]


def test_every_platform_has_mart_scopes_that_are_valid_sql(tmp_path):
    assert set(MART_SCOPES) == set(CONNECTORS)
    con = duckdb.connect(str(tmp_path / "b.duckdb"))
    con.execute("create schema raw")
    ensure_raw_tables(con)
    con.execute("create schema marts")
    con.execute("create table marts.fct_account_daily (account_id varchar, report_date date)")
    for table in ("fct_post_engagement", "dim_posts"):
        con.execute(f"create table marts.{table} (post_id varchar)")
    con.execute("create table marts.dim_accounts (account_id varchar)")
    for platform in CONNECTORS:
        for target in plan_targets(loaded((platform, "x", "2026-11-19", "k")))["marts"]:
            assert con.execute(f"select count(*) from {target['table']} where {target['where']}").fetchone() == (0,)
