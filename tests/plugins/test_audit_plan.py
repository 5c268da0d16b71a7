"""The audit plan: raw suites on exactly the partitions loaded, mart suites on what they feed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pytest

from scripts.gx_mart_contracts import mart_contracts
from socialpulse.audit_plan import MART_SCOPES, WINDOW_SCOPES, plan_targets
from socialpulse.connectors import CONNECTORS
from socialpulse.load import ensure_raw_tables

# the publish gate: the definitions audit_marts runs before the publish
MARTS_CHECKPOINT = Path(__file__).resolve().parents[2] / "expectations" / "checkpoints" / "marts.json"
DS = "2026-11-19"  # a Thursday: its ISO week starts 2026-11-16
OLD = "2026-11-05"  # two weeks earlier: a partition loaded before, not now


def loaded(*parts, max_ds=DS):
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
    assert {t["table"] for t in plan["marts"]} == set(MART_SCOPES["facebook"]) | set(WINDOW_SCOPES)
    assert all(t["as_of"] == "2026-11-19" for t in plan["marts"])


def test_labels_name_a_few_accounts_and_count_many():
    few = plan_targets(loaded(*[("x", "posts", DS, f"x_{n:05d}") for n in range(3)]))
    assert few["raw"][0]["partition_label"] == f"ds={DS} accounts=x_00000,x_00001,x_00002"
    many = plan_targets(loaded(*[("x", "posts", DS, f"x_{n:05d}") for n in range(5000)]))
    (target,) = many["raw"]
    assert target["partition_label"] == f"ds={DS} accounts=x_00000..x_04999 (5000)"
    assert "x_02500" in target["where"], "the filter still lists every partition"


def test_nothing_new_rechecks_the_newest_partitions():
    plan = plan_targets(
        {
            "max_ds": "2026-11-19",
            "partitions": [],
            "latest": [{"platform": "facebook", "entity": "posts", "ds": "2026-11-19", "account_key": "a"}],
        }
    )
    assert [t["table"] for t in plan["raw"]] == ["raw.facebook__posts"]
    assert {t["table"] for t in plan["marts"]} >= set(WINDOW_SCOPES)


def test_nothing_loaded_plans_nothing():
    assert plan_targets({"max_ds": None, "partitions": [], "latest": []}) == {"raw": [], "marts": []}


def test_every_mart_suite_is_audited_by_one_target():
    """No suite of the publish gate left out of the build's audit, and no row audited twice:
    a platform-grained mart's target ORs the scopes of every platform loaded."""
    plan = plan_targets(loaded(*((platform, "posts", DS, "k") for platform in sorted(CONNECTORS))))
    counts = Counter(t["table"] for t in plan["marts"])
    gate = {vd["name"] for vd in json.loads(MARTS_CHECKPOINT.read_text())["validation_definitions"]}
    assert len(gate) >= 25
    assert gate <= set(counts), f"suites of the marts checkpoint the build never runs: {sorted(gate - set(counts))}"
    assert set(counts.values()) == {1}
    targets = {t["table"]: t for t in plan["marts"]}
    for table, target in targets.items():
        platforms = [p for p, scopes in MART_SCOPES.items() if table in scopes]
        assert not (platforms and table in WINDOW_SCOPES), f"{table} is scoped both per platform and in all"
        if platforms:
            assert target["where"].startswith("(") and target["where"].endswith(")"), table
            fed = {p for p in CONNECTORS if f"raw.{p}__" in target["where"] or f"platform = '{p}'" in target["where"]}
            assert fed == set(platforms), table
            assert target["partition_label"] == f"rows fed by {','.join(sorted(platforms))} ds={DS}"
    # Instagram alone serves age and gender
    assert targets["marts.fct_audience_daily"]["partition_label"] == f"rows fed by instagram ds={DS}"
    assert " or " not in targets["marts.fct_audience_daily"]["where"]


def test_a_label_groups_the_platforms_by_the_days_they_loaded():
    plan = plan_targets(
        loaded(("x", "posts", "2026-11-18", "k"), ("bluesky", "posts", DS, "k"), ("x", "posts", DS, "k"))
    )
    (target,) = [t for t in plan["marts"] if t["table"] == "marts.fct_comments"]
    assert target["partition_label"] == f"rows fed by bluesky ds={DS}; x ds=2026-11-18,{DS}"


def test_window_scopes_follow_the_loaded_days():
    plan = plan_targets(loaded(("x", "posts", "2026-11-18", "k"), ("bluesky", "posts", DS, "k")))
    marts = {t["table"]: t for t in plan["marts"] if t["table"] in WINDOW_SCOPES}
    assert marts["marts.dim_dates"]["where"] == "calendar_date between date '2026-11-18' - 7 and date '2026-11-19' + 7"
    assert marts["marts.rpt_topic_trends"]["partition_label"] == "rows of ds 2026-11-18..2026-11-19"
    assert marts["marts.dim_platforms"]["where"] is None
    assert marts["marts.dim_platforms"]["partition_label"] == "whole table"


def _build(path: Path) -> duckdb.DuckDBPyConnection:
    """A build database with every raw table and every mart (contract columns), empty."""
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    ensure_raw_tables(con)
    con.execute("create schema marts")
    for mart, columns in mart_contracts().items():
        con.execute(f"create table marts.{mart} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    return con


def test_every_scope_is_valid_sql_on_the_contract_tables(tmp_path):
    assert set(MART_SCOPES) == set(CONNECTORS)
    con = _build(tmp_path / "b.duckdb")
    for platform in CONNECTORS:
        for target in plan_targets(loaded((platform, "x", DS, "k")))["marts"]:
            query = f"select count(*) from {target['table']}" + (f" where {target['where']}" if target["where"] else "")
            assert con.execute(query).fetchone() == (0,), target["table"]


@pytest.fixture
def two_loads(tmp_path):
    """Facebook and Instagram partitions of an old day and of DS, and the mart rows each fed."""
    con = _build(tmp_path / "b.duckdb")
    for ds, n in ((OLD, 1), (DS, 2)):
        lineage = f"date '{ds}', 'main', 'platform=facebook/ds={ds}/account=main.parquet'"
        columns = "_ds, _account_key, _landing_file"
        con.execute(f"insert into raw.facebook__posts (post_id, {columns}) values ('1_{n}', {lineage})")
        con.execute(f"insert into raw.facebook__page_snapshots (page_id, {columns}) values ('1', {lineage})")
        con.execute(f"insert into raw.facebook__comments (comment_id, {columns}) values ('1_{n}_c', {lineage})")
        ig = lineage.replace("facebook", "instagram")
        con.execute(f"insert into raw.instagram__audience_demographics (ig_user_id, {columns}) values ('9', {ig})")
        day = f"date '{ds}'"
        con.execute(f"insert into marts.fct_post_snapshots (post_id, snapshot_date) values ('facebook:1_{n}', {day})")
        con.execute(
            "insert into marts.fct_topic_engagement_daily (topic, account_id, activity_date) "
            f"values ('autre', 'facebook:1', {day})"
        )
        con.execute(
            "insert into marts.fct_post_daily (post_id, account_id, activity_date, snapshot_date) "
            f"values ('facebook:1_{n}', 'facebook:1', {day}, {day})"
        )
        con.execute(
            "insert into marts.fct_comments (comment_id, account_id, created_date) values "
            f"('facebook:1_{n}_c', 'facebook:1', {day}), "
            f"('facebook:1_{n}_hourly', 'facebook:1', {day})"  # landed by the veille, not by this load
        )
        con.execute(
            "insert into marts.rpt_response_times_weekly (account_id, iso_week_start_date) "
            f"values ('facebook:1', {day} - cast(isodow({day}) - 1 as integer))"
        )
        con.execute(
            f"insert into marts.rpt_weekly_comparison (week_start, account_id) values ({day} - 3, 'facebook:1')"
        )
        con.execute(
            "insert into marts.fct_audience_daily (account_id, snapshot_date) "
            f"values ('instagram:9', {day}), ('instagram:8', {day})"
        )
        con.execute(f"insert into marts.rpt_topic_trends (local_date) values ({day})")
        con.execute(f"insert into marts.dim_dates (calendar_date) values ({day})")
    con.execute("insert into marts.rpt_best_format (platform, format) values ('facebook', 'photo'), ('x', 'photo')")
    return con


def _scoped(con, plan, table, column):
    """Values of `column` in the rows the plan audits in `table`, over all its targets."""
    values = []
    for target in (t for t in plan["marts"] if t["table"] == table):
        where = f" where {target['where']}" if target["where"] else ""
        values += [str(r[0]) for r in con.execute(f"select {column} from {table}{where}").fetchall()]
    return sorted(values)


def test_mart_scopes_select_what_the_new_partitions_feed(two_loads):
    con = two_loads
    plan = plan_targets(loaded(("facebook", "posts", DS, "main"), ("instagram", "audience_demographics", DS, "main")))
    assert _scoped(con, plan, "marts.fct_post_snapshots", "post_id") == ["facebook:1_2"]
    assert _scoped(con, plan, "marts.fct_post_daily", "post_id") == ["facebook:1_2"]
    assert _scoped(con, plan, "marts.fct_topic_engagement_daily", "activity_date") == [DS]
    assert _scoped(con, plan, "marts.fct_comments", "comment_id") == ["facebook:1_2_c"]
    assert _scoped(con, plan, "marts.rpt_response_times_weekly", "iso_week_start_date") == ["2026-11-16"]
    assert _scoped(con, plan, "marts.rpt_weekly_comparison", "week_start") == ["2026-11-16"]
    assert _scoped(con, plan, "marts.rpt_best_format", "platform") == ["facebook"]
    assert _scoped(con, plan, "marts.fct_audience_daily", "account_id") == ["instagram:9"]
    assert _scoped(con, plan, "marts.rpt_topic_trends", "local_date") == [DS]
    assert _scoped(con, plan, "marts.dim_dates", "calendar_date") == [DS]


def test_weeks_include_the_next_paris_day():
    """A post of Sunday 23:30 UTC is published on Monday in Europe/Paris: its week is audited too."""
    sunday = date(2026, 11, 22)
    plan = plan_targets(loaded(("facebook", "posts", sunday.isoformat(), "main")))
    (target,) = [t for t in plan["marts"] if t["table"] == "marts.rpt_weekly_comparison"]
    assert target["where"].endswith("week_start in (date '2026-11-16', date '2026-11-23'))")
