"""Suites of the veille marts: fct_comments, bdg_comment_topics, rpt_moderation_queue,
rpt_response_times_weekly, rpt_topic_trends, rpt_topic_spikes."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from gx_builders import DS, ts
from gx_mart_builders import BETWEEN, EQUAL, IN_SET, NULL, PAIR, REGEX, assert_damage_fails, audit, mart_frame

MARTS = (
    "fct_comments",
    "bdg_comment_topics",
    "rpt_moderation_queue",
    "rpt_response_times_weekly",
    "rpt_topic_trends",
    "rpt_topic_spikes",
)


@pytest.mark.parametrize("model", MARTS)
def test_valid_mart_passes(tmp_path, model):
    report = audit(tmp_path, model, mart_frame(model))
    assert report.success, report.failure_message()


def test_comments_newer_than_the_audited_day_pass(tmp_path):
    """Comments are listed without a time window: a backfill of an old ds sees newer ones."""
    frame = mart_frame("fct_comments")
    later = pd.Timedelta(days=30)
    frame["created_at"] += later
    frame["answered_at"] += later
    frame["created_date"] = DS + timedelta(days=30)
    report = audit(tmp_path, "fct_comments", frame)
    assert report.success, report.failure_message()


@pytest.mark.parametrize(
    ("model", "row", "changes", "expectation", "column"),
    [
        ("fct_comments", 0, {"author_pseudonym": "Jean Dupont"}, REGEX, "author_pseudonym"),
        ("fct_comments", 0, {"answered_at": ts(DS, 8)}, PAIR, "answered_at"),
        ("fct_comments", 0, {"response_delay_hours": -1.0}, BETWEEN, "response_delay_hours"),
        ("fct_comments", 1, {"answered_at": ts(DS, 11)}, NULL, "answered_at"),
        ("fct_comments", 0, {"abuse_categories": "insulte"}, NULL, "abuse_categories"),
        ("fct_comments", 0, {"topics": "Transports"}, REGEX, "topics"),
        ("fct_comments", 0, {"like_count": -1}, BETWEEN, "like_count"),
        ("bdg_comment_topics", 0, {"topic_weight": 1.5}, BETWEEN, "topic_weight"),
        ("rpt_moderation_queue", 0, {"age_hours": -1.0}, BETWEEN, "age_hours"),
        ("rpt_moderation_queue", 0, {"created_at": ts(DS + timedelta(days=1), 1)}, PAIR, "created_at"),
        (
            "rpt_moderation_queue",
            1,
            {"as_of": ts(DS + timedelta(days=1), 1)},
            "expect_column_unique_value_count_to_be_between",
            "as_of",
        ),
        ("rpt_moderation_queue", 0, {"queue_rank": 0}, BETWEEN, "queue_rank"),
        ("rpt_response_times_weekly", 0, {"answer_rate": 1.25}, BETWEEN, "answer_rate"),
        ("rpt_response_times_weekly", 0, {"answered": 5}, PAIR, "answered"),
        ("rpt_response_times_weekly", 0, {"p90_delay_hours": 1.0}, PAIR, "p90_delay_hours"),
        ("rpt_response_times_weekly", 1, {"median_delay_hours": 2.0}, NULL, "median_delay_hours"),
        ("rpt_response_times_weekly", 0, {"questions": 0, "answered": 0}, BETWEEN, "questions"),
        ("rpt_topic_trends", 0, {"commenter_count": 30}, PAIR, "commenter_count"),
        ("rpt_topic_trends", 0, {"first_comment_at": ts(DS, 4)}, PAIR, "first_comment_at"),
        ("rpt_topic_trends", 0, {"is_elevated": False}, IN_SET, "is_elevated"),
        ("rpt_topic_trends", 3, {"local_hour": 0}, NULL, "local_hour"),
        ("rpt_topic_trends", 2, {"value": "greveter"}, REGEX, "value"),
        ("rpt_topic_trends", 1, {"topic": "transports"}, EQUAL, "topic"),
        (
            "rpt_topic_trends",
            0,
            {"platform_count": 7, "post_count": 7, "comment_count": 30, "engagement_count": 32},
            BETWEEN,
            "platform_count",
        ),
        ("rpt_topic_spikes", 0, {"peak_z": 20.0}, PAIR, "peak_z"),
        ("rpt_topic_spikes", 0, {"ended_at": ts(DS, 5)}, PAIR, "ended_at"),
        ("rpt_topic_spikes", 0, {"spike_id": "spike-1"}, REGEX, "spike_id"),
        ("rpt_topic_spikes", 0, {"total_comment_count": 30}, PAIR, "total_comment_count"),
    ],
)
def test_damaged_mart_fails(tmp_path, model, row, changes, expectation, column):
    assert_damage_fails(tmp_path, model, row, changes, expectation, column)
