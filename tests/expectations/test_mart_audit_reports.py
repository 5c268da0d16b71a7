"""Suites of the report marts: rpt_weekly_comparison, rpt_top_posts_weekly, rpt_best_format, rpt_best_hour."""

from __future__ import annotations

from datetime import timedelta

import pytest
from gx_builders import DS
from gx_mart_builders import BETWEEN, MONDAY, NULL, PAIR, assert_damage_fails, audit, mart_frame

MARTS = ("rpt_weekly_comparison", "rpt_top_posts_weekly", "rpt_best_format", "rpt_best_hour")


@pytest.mark.parametrize("model", MARTS)
def test_valid_mart_passes(tmp_path, model):
    report = audit(tmp_path, model, mart_frame(model))
    assert report.success, report.failure_message()


@pytest.mark.parametrize(
    ("model", "row", "changes", "expectation", "column"),
    [
        ("rpt_weekly_comparison", 0, {"days_with_data": 8}, BETWEEN, "days_with_data"),
        ("rpt_weekly_comparison", 0, {"previous_week_days_with_data": 5}, BETWEEN, "previous_week_days_with_data"),
        (
            "rpt_weekly_comparison",
            1,
            {"unfair_reason_previous_week": "?"},
            NULL,
            "unfair_reason_previous_week",
        ),
        ("rpt_weekly_comparison", 0, {"value": -1.0}, BETWEEN, "value"),
        ("rpt_weekly_comparison", 2, {"previous_week_pct_delta": -1.5}, BETWEEN, "previous_week_pct_delta"),
        (
            "rpt_weekly_comparison",
            0,
            {"last_year_week_start": MONDAY + timedelta(days=7)},
            PAIR,
            "last_year_week_start",
        ),
        ("rpt_weekly_comparison", 0, {"week_start": DS + timedelta(days=4)}, BETWEEN, "week_start"),
        ("rpt_top_posts_weekly", 1, {"platform_rank": 1}, PAIR, "platform_rank"),
        ("rpt_top_posts_weekly", 0, {"rank": 0}, BETWEEN, "rank"),
        ("rpt_top_posts_weekly", 0, {"published_date": MONDAY - timedelta(days=1)}, PAIR, "published_date"),
        ("rpt_top_posts_weekly", 0, {"snapshot_date": DS + timedelta(days=1)}, BETWEEN, "snapshot_date"),
        ("rpt_top_posts_weekly", 0, {"reach": 5000}, PAIR, "reach"),
        ("rpt_best_format", 0, {"posts_with_rate": 20}, PAIR, "posts_with_rate"),
        ("rpt_best_format", 0, {"window_end_date": DS + timedelta(days=1)}, BETWEEN, "window_end_date"),
        ("rpt_best_format", 2, {"rank_by_engagements": 1}, NULL, "rank_by_engagements"),
        ("rpt_best_format", 0, {"engagement_rate_median": -0.01}, BETWEEN, "engagement_rate_median"),
        ("rpt_best_hour", 0, {"posts": 0}, BETWEEN, "posts"),
        ("rpt_best_hour", 0, {"window_start_date": DS}, PAIR, "window_start_date"),
    ],
)
def test_damaged_mart_fails(tmp_path, model, row, changes, expectation, column):
    assert_damage_fails(tmp_path, model, row, changes, expectation, column)
