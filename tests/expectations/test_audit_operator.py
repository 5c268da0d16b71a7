"""GreatExpectationsAuditOperator without a running Airflow: execute() on real DuckDB files."""

from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from gx_builders import CONTEXT_ROOT, DS, raw_frame, raw_target, write_raw

from socialpulse.operators import GreatExpectationsAuditOperator


def test_execute_passes_and_returns_a_json_summary(good_build):
    op = GreatExpectationsAuditOperator(
        task_id="audit",
        db_path=good_build,
        context_root=CONTEXT_ROOT,
        targets=[raw_target("posts"), raw_target("comments").to_dict()],
    )
    summary = op.execute(context={})
    assert json.loads(json.dumps(summary))["success"] is True
    assert [t["suite"] for t in summary["targets"]] == ["raw.facebook__posts", "raw.facebook__comments"]


def test_execute_fails_the_task_with_the_audit_message(tmp_path):
    frame = raw_frame("posts")
    frame.loc[0, "shares_count"] = -7
    db = write_raw(tmp_path / "b.duckdb", {"posts": frame})
    op = GreatExpectationsAuditOperator(
        task_id="audit", db_path=str(db), context_root=str(CONTEXT_ROOT), targets=[raw_target("posts")]
    )
    with pytest.raises(AirflowException) as failed:
        op.execute(context={})
    assert isinstance(failed.value, AirflowFailException), "a data failure is not retried"
    message = str(failed.value)
    assert "suite raw.facebook__posts" in message
    assert "expect_column_values_to_be_between(column='shares_count'" in message
    assert f"[ds={DS.isoformat()}]" in message and "-7" in message


def test_where_and_as_of_are_templated():
    op = GreatExpectationsAuditOperator(
        task_id="audit",
        db_path="{{ params.db }}",
        targets=[
            {
                "table": "raw.facebook__posts",
                "suite": "raw.facebook__posts",
                "where": "_ds = '{{ ds }}'",
                "partition_label": "ds={{ ds }}",
                "as_of": "{{ ds }}",
            }
        ],
    )
    assert set(op.template_fields) >= {"targets", "db_path"}
    op.render_template_fields(context={"ds": "2026-11-19", "params": {"db": "/x/build.duckdb"}})
    assert op.targets[0]["where"] == "_ds = '2026-11-19'"
    assert op.targets[0]["partition_label"] == "ds=2026-11-19"
    assert op.targets[0]["as_of"] == "2026-11-19"
    assert op.db_path == "/x/build.duckdb"


def test_no_targets_is_a_failure(good_build):
    op = GreatExpectationsAuditOperator(task_id="audit", db_path=good_build, context_root=CONTEXT_ROOT, targets=[])
    with pytest.raises(AirflowFailException, match="no targets"):
        op.execute(context={})
