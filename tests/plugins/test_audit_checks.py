"""The cross-row audit frames on a real DuckDB file: which rows they judge, and how."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest

from socialpulse.audit_checks import check_targets, loaded_days
from socialpulse.config import load_accounts
from socialpulse.load import LOAD_LOG_DDL
from socialpulse.settings import Settings

DS = date(2026, 11, 19)


def _partition(platform, entity, ds, account, **extra):
    return {"platform": platform, "entity": entity, "ds": ds.isoformat(), "account_key": account, **extra}


def test_only_daily_api_extractions_make_a_day_due():
    loaded = {
        "partitions": [
            _partition("facebook", "posts", DS, "region_main"),
            _partition("facebook", "comments", DS + timedelta(days=1), "region_main", hour=9),
            _partition("instagram", "media", DS, "ig_region", source="csv"),
        ]
    }
    assert loaded_days(loaded) == {"facebook": [DS.isoformat()]}


def test_a_rerun_with_nothing_new_checks_the_newest_partitions():
    assert loaded_days({"partitions": [], "latest": [_partition("x", "posts", DS, "x_region_main")]}) == {
        "x": [DS.isoformat()]
    }


@pytest.fixture
def build(tmp_path):
    db = tmp_path / "build.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw")
        con.execute(LOAD_LOG_DDL)
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_post_snapshots (post_id varchar, account_id varchar, platform varchar, "
            "snapshot_date date, views bigint, views_paid bigint, views_organic bigint, reach bigint, "
            "reactions bigint, comments bigint, shares bigint, clicks bigint)"
        )
        con.execute(
            "create table marts.fct_account_daily (account_id varchar, platform varchar, report_date date, "
            "followers bigint, follows bigint, unfollows bigint, views bigint, views_paid bigint, "
            "views_organic bigint, reach bigint, post_engagements bigint, page_views bigint, posts_published bigint)"
        )
    return db


def _frames(db, loaded):
    config = load_accounts(Settings.from_env().config_file)
    targets = check_targets(loaded, config)
    with duckdb.connect(str(db), read_only=True) as con:
        return {t["suite"]: con.sql(t["sql"]).df() for t in targets["raw"] + targets["marts"]}


def test_coverage_lists_every_configured_account_and_entity(build):
    config = load_accounts(Settings.from_env().config_file)
    accounts = [a.key for a in config.for_platform("facebook")]
    with duckdb.connect(str(build)) as con:
        for entity in ("page_snapshots", "page_insights", "posts", "post_insights", "comments"):
            for account in accounts[1:]:
                con.execute(
                    "insert into raw._load_log values (?, 'facebook', ?, ?, ?, 1, 1, 1, now())",
                    [f"platform=facebook/entity={entity}/ds={DS}/account={account}.parquet", entity, DS, account],
                )
    frame = _frames(build, {"partitions": [_partition("facebook", "posts", DS, accounts[1])]})[
        "checks.account_day_coverage"
    ]
    assert len(frame) == 5 * len(accounts)
    missing = frame[~frame["present"]]
    assert set(missing["account_key"]) == {accounts[0]} and len(missing) == 5


def test_counter_deltas_compare_each_snapshot_with_the_previous_one(build):
    with duckdb.connect(str(build)) as con:
        for day, views in ((DS - timedelta(days=2), 1000), (DS - timedelta(days=1), 1200), (DS, 900)):
            con.execute(
                "insert into marts.fct_post_snapshots (post_id, platform, snapshot_date, views, shares) "
                "values ('facebook:1_2', 'facebook', ?, ?, 3)",
                [day, views],
            )
    frame = _frames(build, {"partitions": [_partition("facebook", "posts", DS, "region_main")]})[
        "checks.post_counter_deltas"
    ]
    views = frame[frame["counter"] == "views"].iloc[0]
    assert (views["previous_value"], views["value"], views["tolerated_drop"]) == (1200, 900, 12)
    assert views["drop_beyond_tolerance"] == 1200 - 900 - 12
    shares = frame[frame["counter"] == "shares"].iloc[0]
    assert shares["drop_beyond_tolerance"] == -5, "an unchanged counter is within tolerance"
    assert set(frame["snapshot_date"].dt.date) == {DS}, "only the loaded day is judged"


def _volume(build, rows_on) -> dict:
    """`checks.mart_volume` of DS for Facebook, fct_post_snapshots holding rows_on(day) rows a day."""
    with duckdb.connect(str(build)) as con:
        for n in range(29):
            day = DS - timedelta(days=n)
            con.execute(
                "insert into marts.fct_post_snapshots (post_id, platform, snapshot_date) "
                "select 'facebook:' || range, 'facebook', ? from range(?)",
                [day, rows_on(day)],
            )
    frame = _frames(build, {"partitions": [_partition("facebook", "posts", DS, "region_main")]})["checks.mart_volume"]
    return frame.set_index("mart").loc["fct_post_snapshots"].to_dict()


def test_volume_compares_a_day_with_the_same_weekday(build):
    """Weekdays of 100 rows, and DS's weekday at 40: DS's 36 rows are 0.9 of its own
    weekday's median, not a collapse against the other days' 100."""
    volume = _volume(build, lambda day: 36 if day == DS else 40 if day.weekday() == DS.weekday() else 100)
    assert (volume["row_count"], volume["baseline_days"], volume["baseline_median"]) == (36, 4, 40)
    assert volume["noise_rows"] == round(3 * 40**0.5, 2)
    assert volume["volume_ratio"] is None or volume["volume_ratio"] != volume["volume_ratio"], (
        "4 rows below a median of 40 is within the noise of the count: not judged"
    )


def test_volume_judges_a_gap_beyond_the_noise_of_the_count(build):
    volume = _volume(build, lambda day: 10 if day == DS else 100)
    assert (volume["baseline_days"], volume["baseline_median"], volume["volume_ratio"]) == (4, 100, 0.1)


def test_volume_waits_for_three_previous_same_weekdays(build):
    volume = _volume(build, lambda day: 0 if day == DS or (DS - day).days > 14 else 100)
    assert volume["baseline_days"] == 2 and volume["row_count"] == 0
    assert volume["volume_ratio"] != volume["volume_ratio"], "NULL: not judged yet"


def test_volume_and_population_against_the_trailing_days(build):
    with duckdb.connect(str(build)) as con:
        for n in range(1, 29):
            day = DS - timedelta(days=n)
            con.execute(
                "insert into marts.fct_account_daily (account_id, platform, report_date, followers, reach) "
                "select 'facebook:' || range, 'facebook', ?, 100, 5 from range(40)",
                [day],
            )
        con.execute(
            "insert into marts.fct_account_daily (account_id, platform, report_date, followers, reach) "
            "values ('facebook:0', 'facebook', ?, 100, null)",
            [DS],
        )
    frames = _frames(build, {"partitions": [_partition("facebook", "posts", DS, "region_main")]})
    volume = frames["checks.mart_volume"].set_index("mart")
    assert volume.loc["fct_account_daily", "row_count"] == 1
    assert volume.loc["fct_account_daily", "baseline_median"] == 40
    assert volume.loc["fct_account_daily", "volume_ratio"] == 0.025
    assert volume.loc["fct_post_snapshots", "row_count"] == 0, "a day without rows is judged as 0 rows"
    population = frames["checks.metric_population"].set_index("metric")
    assert bool(population.loc["reach", "went_null"]) is True
    assert bool(population.loc["followers", "went_null"]) is False
    assert bool(population.loc["follows", "went_null"]) is False, "never populated: nothing was lost"
