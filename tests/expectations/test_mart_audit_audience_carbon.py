"""Suites of the audience and carbon marts: fct_audience_daily, rpt_youth_audience_monthly,
fct_carbon_daily, fct_carbon_post_daily."""

from __future__ import annotations

from datetime import timedelta

import pytest
from gx_builders import DS
from gx_mart_builders import BETWEEN, EQUAL, IN_SET, NULL, PAIR, REGEX, assert_damage_fails, audit, mart_frame

MARTS = ("fct_audience_daily", "rpt_youth_audience_monthly", "fct_carbon_daily", "fct_carbon_post_daily")


@pytest.mark.parametrize("model", MARTS)
def test_valid_mart_passes(tmp_path, model):
    report = audit(tmp_path, model, mart_frame(model))
    assert report.success, report.failure_message()


@pytest.mark.parametrize(
    ("model", "row", "changes", "expectation", "column"),
    [
        ("fct_audience_daily", 0, {"audience_share": 1.5}, BETWEEN, "audience_share"),
        ("fct_audience_daily", 0, {"audience_count": 0}, BETWEEN, "audience_count"),
        ("fct_audience_daily", 2, {"audience_count": 50}, NULL, "audience_count"),
        ("fct_audience_daily", 1, {"is_youth": True}, IN_SET, "age_bucket"),
        ("fct_audience_daily", 0, {"is_youth": False}, IN_SET, "age_bucket"),
        ("fct_audience_daily", 0, {"snapshot_date": DS + timedelta(days=1)}, BETWEEN, "snapshot_date"),
        ("rpt_youth_audience_monthly", 0, {"youth_share": 1.2}, BETWEEN, "youth_share"),
        ("rpt_youth_audience_monthly", 0, {"youth_count": 2000}, PAIR, "youth_count"),
        (
            "rpt_youth_audience_monthly",
            0,
            {"snapshot_date": DS.replace(day=1) - timedelta(days=1)},
            PAIR,
            "month_start_date",
        ),
        ("fct_carbon_daily", 0, {"seconds_viewed_central": 1.0}, PAIR, "seconds_viewed_low"),
        ("fct_carbon_daily", 0, {"gco2e_low": -1.0}, BETWEEN, "gco2e_low"),
        ("fct_carbon_daily", 2, {"post_views": 900}, EQUAL, "post_views"),
        (
            "fct_carbon_daily",
            0,
            {"feed_factor_id": "grid_adjustment:all:all"},
            REGEX,
            "feed_factor_id",
        ),
        ("fct_carbon_daily", 0, {"report_date": DS + timedelta(days=1)}, BETWEEN, "report_date"),
        ("fct_carbon_post_daily", 0, {"days_covered": 0}, BETWEEN, "days_covered"),
        ("fct_carbon_post_daily", 1, {"views": 2000}, PAIR, "views"),
        ("fct_carbon_post_daily", 1, {"previous_snapshot_date": DS}, PAIR, "previous_snapshot_date"),
        ("fct_carbon_post_daily", 0, {"seconds_viewed_high": 2.0}, PAIR, "seconds_viewed_high"),
        (
            "fct_carbon_post_daily",
            0,
            {"factors_version": "v2"},
            REGEX,
            "factors_version",
        ),
    ],
)
def test_damaged_mart_fails(tmp_path, model, row, changes, expectation, column):
    assert_damage_fails(tmp_path, model, row, changes, expectation, column)
