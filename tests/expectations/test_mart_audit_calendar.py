"""Suites of the calendar and lookup dimensions: dim_dates, dim_platforms, dim_topics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from gx_builders import DS
from gx_mart_builders import BETWEEN, IN_SET, NULL, PAIR, REGEX, assert_damage_fails, audit, failing_line, mart_frame

MARTS = ("dim_dates", "dim_platforms", "dim_topics")
WEDNESDAY = 9  # row of DS - 1 in dim_dates (rows are DS - 10 .. DS + 10)


@pytest.mark.parametrize("model", MARTS)
def test_valid_mart_passes(tmp_path, model):
    report = audit(tmp_path, model, mart_frame(model))
    assert report.success, report.failure_message()


@pytest.mark.parametrize(
    ("model", "row", "changes", "expectation", "column"),
    [
        ("dim_dates", 0, {"iso_week": 54}, BETWEEN, "iso_week"),
        ("dim_dates", WEDNESDAY, {"is_weekend": True}, BETWEEN, "iso_day_of_week"),
        ("dim_dates", 0, {"iso_year_week": "2026-45"}, REGEX, "iso_year_week"),
        ("dim_dates", 0, {"weekday_name_fr": "Lundi"}, IN_SET, "weekday_name_fr"),
        (
            "dim_dates",
            3,
            {"month_start_date": DS + timedelta(days=20)},
            PAIR,
            "month_start_date",
        ),
        (
            "dim_dates",
            WEDNESDAY,
            {"public_holiday_name": "Noël"},
            NULL,
            "public_holiday_name",
        ),
        ("dim_platforms", 4, {"has_paid_split": True}, IN_SET, "has_views"),
        ("dim_platforms", 0, {"platform_name": ""}, "expect_column_value_lengths_to_be_between", "platform_name"),
        ("dim_topics", 0, {"topic": "Transports"}, REGEX, "topic"),
        ("dim_topics", 1, {"is_fallback": True}, "expect_column_sum_to_be_between", "is_fallback"),
        ("dim_topics", 1, {"is_fallback": True}, IN_SET, "topic"),
        ("dim_topics", 0, {"keywords": "TER||gare"}, REGEX, "keywords"),
    ],
)
def test_damaged_mart_fails(tmp_path, model, row, changes, expectation, column):
    assert_damage_fails(tmp_path, model, row, changes, expectation, column)


def test_last_year_week_must_start_before_this_one(tmp_path):
    frame = mart_frame("dim_dates")
    frame.loc[0, "previous_year_iso_week_start_date"] = frame.loc[0, "iso_week_start_date"]
    line = failing_line(
        audit(tmp_path, "dim_dates", frame),
        "dim_dates",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "previous_year_iso_week_start_date",
    )
    assert "or_equal=False" in line


def test_calendar_must_reach_the_audited_day(tmp_path):
    frame = mart_frame("dim_dates")
    report = audit(tmp_path, "dim_dates", frame[frame["calendar_date"] < DS].reset_index(drop=True))
    line = failing_line(report, "dim_dates", "expect_column_max_to_be_between", "calendar_date")
    assert "observed" in line


def test_every_platform_is_documented(tmp_path):
    report = audit(tmp_path, "dim_platforms", mart_frame("dim_platforms").iloc[:5])
    assert "expect_table_row_count_to_be_between" in report.failure_message()
