"""Suites of the post marts: bdg_post_topics, fct_post_snapshots, fct_post_daily, fct_topic_engagement_daily."""

from __future__ import annotations

from datetime import timedelta

import pytest
from gx_builders import DS
from gx_mart_builders import BETWEEN, EQUAL, NULL, PAIR, REGEX, assert_damage_fails, audit, damaged, mart_frame

MARTS = ("bdg_post_topics", "fct_post_snapshots", "fct_post_daily", "fct_topic_engagement_daily")


@pytest.mark.parametrize("model", MARTS)
def test_valid_mart_passes(tmp_path, model):
    report = audit(tmp_path, model, mart_frame(model))
    assert report.success, report.failure_message()


def test_engagement_rates_are_not_bounded_above(tmp_path):
    """Rates by reach, followers... exceed 1 when engagements outnumber the denominator."""
    changes = {"engagement_rate": 1.5, "engagement_rate_by_followers": 2.0, "amplification_rate": 1.2}
    report = audit(tmp_path, "fct_post_snapshots", damaged("fct_post_snapshots", 0, changes))
    assert report.success, report.failure_message()


@pytest.mark.parametrize(
    ("model", "row", "changes", "expectation", "column"),
    [
        ("bdg_post_topics", 0, {"topic_weight": 0.0}, BETWEEN, "topic_weight"),
        ("bdg_post_topics", 0, {"post_id": "112233445566001_1"}, REGEX, "post_id"),
        ("fct_post_snapshots", 0, {"reach": 999_999}, PAIR, "reach"),
        ("fct_post_snapshots", 0, {"share_of_paid_views": 1.2}, BETWEEN, "share_of_paid_views"),
        ("fct_post_snapshots", 0, {"account_followers": 0}, BETWEEN, "account_followers"),
        ("fct_post_snapshots", 0, {"conversation_rate": -0.1}, BETWEEN, "conversation_rate"),
        ("fct_post_snapshots", 2, {"is_paid": True}, BETWEEN, "views_paid"),
        ("fct_post_snapshots", 1, {"is_paid": False}, BETWEEN, "views_paid"),
        ("fct_post_snapshots", 0, {"engagements": 10}, PAIR, "reactions"),
        ("fct_post_snapshots", 0, {"snapshot_date": DS + timedelta(days=1)}, BETWEEN, "snapshot_date"),
        ("fct_post_daily", 0, {"views": -5}, BETWEEN, "views"),
        (
            "fct_post_daily",
            0,
            {"previous_snapshot_date": DS - timedelta(days=5)},
            NULL,
            "previous_snapshot_date",
        ),
        (
            "fct_post_daily",
            1,
            {"activity_date": DS - timedelta(days=1)},
            EQUAL,
            "activity_date",
        ),
        ("fct_post_daily", 1, {"previous_snapshot_date": DS}, PAIR, "previous_snapshot_date"),
        ("fct_post_daily", 2, {"activity_date": DS + timedelta(days=1)}, PAIR, "activity_date"),
        ("fct_topic_engagement_daily", 0, {"posts_published_weighted": 2.0}, PAIR, "posts_published_weighted"),
        ("fct_topic_engagement_daily", 0, {"posts_measured": -1}, BETWEEN, "posts_measured"),
        ("fct_topic_engagement_daily", 0, {"activity_date": DS + timedelta(days=3)}, BETWEEN, "activity_date"),
    ],
)
def test_damaged_mart_fails(tmp_path, model, row, changes, expectation, column):
    assert_damage_fails(tmp_path, model, row, changes, expectation, column)
