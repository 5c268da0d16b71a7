"""The spike notifier and the veille's alert bookkeeping, against a real local HTTP webhook,
a real serving DuckDB file and the real state file: one alert per spike, never twice,
secrets never logged."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from socialpulse.alert_state import read_alerted
from socialpulse.notifiers import WEBHOOK_CONN_ID, AlertDeliveryError, SpikeAlertNotifier
from socialpulse.veille import alert_new_spikes, describe, read_spikes

SECRET_PATH = "/hooks/T0001/B0002/zzSecretPathzz"
TOKEN = "tok-never-logged-42"
AS_OF = datetime(2026, 11, 20, tzinfo=UTC)


class Webhook:
    """A tiny webhook: records every POST; answers `status`."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                hook.posts.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(monkeypatch):
    hook = Webhook()
    conn = {
        "conn_type": "http",
        "host": "127.0.0.1",
        "port": hook.port,
        "schema": "http",
        "password": TOKEN,
        "extra": {"endpoint": SECRET_PATH},
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{WEBHOOK_CONN_ID.upper()}", json.dumps(conn))
    yield hook
    hook.stop()


@pytest.fixture
def no_webhook(monkeypatch):
    monkeypatch.delenv(f"AIRFLOW_CONN_{WEBHOOK_CONN_ID.upper()}", raising=False)


def spike(spike_id: str, value: str = "transports", started: datetime | None = None, count: int = 42) -> dict:
    return {
        "spike_id": spike_id,
        "granularity": "hour",
        "dimension": "topic",
        "value": value,
        "topic": value,
        "started_at": started or AS_OF - timedelta(hours=3),
        "comment_count": count,
        "baseline_median": 4.0,
        "robust_z": 6.5,
        "is_ongoing": True,
    }


CONTEXT = {"run_id": "scheduled__2026-11-19T23:00:00+00:00", "dag": None}


def _all_logs(caplog, capfd) -> str:
    """Everything logged: Airflow's structlog writes to the console, stdlib logging to caplog."""
    out = capfd.readouterr()
    return "\n".join([*(r.getMessage() for r in caplog.records), out.out, out.err])


def test_notifier_logs_and_posts_one_json_alert(webhook, caplog, capfd):
    caplog.set_level(logging.INFO)
    notifier = SpikeAlertNotifier(spike=spike("s1"))
    notifier(dict(CONTEXT))

    assert len(webhook.posts) == 1
    post = webhook.posts[0]
    assert post["path"] == SECRET_PATH
    assert post["headers"]["Authorization"] == f"Bearer {TOKEN}"
    body = post["json"]
    assert body["event"] == "socialpulse.topic_spike"
    assert body["spike"]["spike_id"] == "s1" and body["spike"]["comment_count"] == 42
    assert body["spike"]["started_at"] == "2026-11-19T21:00:00+00:00"
    assert body["run_id"] == CONTEXT["run_id"]
    assert "topic transports" in body["text"] and "42 comments" in body["text"]
    assert notifier.delivered_to == "127.0.0.1"

    logs = _all_logs(caplog, capfd)
    assert "Topic spike alert: topic transports" in logs
    assert "127.0.0.1" in logs
    assert "zzSecretPathzz" not in logs and TOKEN not in logs


def test_without_the_connection_the_alert_is_logged_only(no_webhook, caplog, capfd):
    caplog.set_level(logging.INFO)
    notifier = SpikeAlertNotifier(spike=spike("s1"))
    notifier(dict(CONTEXT))
    assert notifier.delivered_to is None
    logs = _all_logs(caplog, capfd)
    assert "Topic spike alert: topic transports" in logs
    assert "in this log only" in logs


def test_a_refusing_webhook_fails_naming_the_host_never_the_secret(webhook, caplog, capfd):
    webhook.status = 500
    with pytest.raises(AlertDeliveryError) as err:
        SpikeAlertNotifier(spike=spike("s1"))(dict(CONTEXT))
    assert "HTTP 500" in str(err.value) and "127.0.0.1" in str(err.value)
    assert "zzSecretPathzz" not in str(err.value) and TOKEN not in str(err.value)
    assert "zzSecretPathzz" not in _all_logs(caplog, capfd)


def test_describe_reads_like_a_sentence():
    line = describe(spike("abc", started=datetime(2026, 11, 19, 7, tzinfo=UTC)))
    assert line == "topic transports (hour) from 2026-11-19 07:00 UTC - 42 comments vs 4.0 usual (z = 6.5) [spike abc]"


# -- alert_new_spikes: the veille's bookkeeping ---------------------------------------------


@pytest.fixture
def dbs(settings):
    settings.serving_db.parent.mkdir(parents=True, exist_ok=True)
    return settings


def publish_spikes(serving_db, rows: list[dict]) -> None:
    """A serving database whose marts.rpt_topic_spikes holds `rows` (real column types)."""
    con = duckdb.connect(str(serving_db))
    try:
        con.execute("create schema if not exists marts")
        con.execute("""
            create or replace table marts.rpt_topic_spikes (
                spike_id varchar, granularity varchar, dimension varchar, value varchar, topic varchar,
                started_at timestamptz, comment_count bigint, baseline_median double, robust_z double,
                is_ongoing boolean
            )
        """)
        for r in rows:
            con.execute("insert into marts.rpt_topic_spikes values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(r.values()))
    finally:
        con.close()


def notify_with_notifier(spike_row: dict) -> str | None:
    notifier = SpikeAlertNotifier(spike=spike_row)
    notifier(dict(CONTEXT))
    return notifier.delivered_to


def test_each_spike_is_alerted_once_across_runs(dbs, webhook, caplog, capfd):
    caplog.set_level(logging.INFO)
    publish_spikes(dbs.serving_db, [spike("a"), spike("b", "lycees")])

    first = alert_new_spikes(dbs, notify_with_notifier, as_of=AS_OF, run_id="r1")
    assert sorted(first.alerted) == ["a", "b"] and first.already == 0
    second = alert_new_spikes(dbs, notify_with_notifier, as_of=AS_OF + timedelta(hours=1), run_id="r2")
    assert second.alerted == [] and second.already == 2
    assert sorted(p["json"]["spike"]["spike_id"] for p in webhook.posts) == ["a", "b"]

    # a new spike appears: only it is alerted
    publish_spikes(dbs.serving_db, [spike("a"), spike("b", "lycees"), spike("c", "culture")])
    third = alert_new_spikes(dbs, notify_with_notifier, as_of=AS_OF + timedelta(hours=2), run_id="r3")
    assert third.alerted == ["c"]
    assert [p["json"]["spike"]["spike_id"] for p in webhook.posts] == ["a", "b", "c"]
    assert _all_logs(caplog, capfd).count("Topic spike alert:") == 3

    state = sorted((s.spike_id, s.run_id, s.delivered_to) for s in read_alerted(dbs.alert_state_file))
    assert state == [("a", "r1", "127.0.0.1"), ("b", "r1", "127.0.0.1"), ("c", "r3", "127.0.0.1")]
    assert not dbs.build_db.exists()  # the bookkeeping never touches the build database


def test_old_spikes_are_history_not_news(dbs, no_webhook):
    old = spike("old", started=AS_OF - timedelta(days=dbs.alert_max_age_days, hours=1))
    publish_spikes(dbs.serving_db, [old, spike("new")])
    report = alert_new_spikes(dbs, notify_with_notifier, as_of=AS_OF, run_id="r1")
    assert report.spikes == 2 and report.recent == 1 and report.alerted == ["new"]


def test_a_failed_delivery_is_retried_and_what_was_sent_is_not_sent_again(dbs, webhook):
    publish_spikes(dbs.serving_db, [spike("a", started=AS_OF - timedelta(hours=5)), spike("b", "lycees")])
    calls: list[str] = []

    def flaky(spike_row: dict) -> str | None:
        calls.append(spike_row["spike_id"])
        webhook.status = 503 if spike_row["spike_id"] == "b" else 200
        return notify_with_notifier(spike_row)

    with pytest.raises(AlertDeliveryError):
        alert_new_spikes(dbs, flaky, as_of=AS_OF, run_id="try1")
    webhook.status = 200
    retry = alert_new_spikes(dbs, notify_with_notifier, as_of=AS_OF, run_id="try2")
    assert calls == ["a", "b"] and retry.alerted == ["b"]
    delivered = [p["json"]["spike"]["spike_id"] for p in webhook.posts]
    assert delivered == ["a", "b", "b"]  # b refused once (503), then delivered; a never twice


def test_no_published_spikes_yet_means_no_alert(dbs, no_webhook):
    assert read_spikes(dbs.serving_db) == []
    report = alert_new_spikes(dbs, notify_with_notifier, as_of=AS_OF, run_id="r1")
    assert report.spikes == 0 and report.alerted == []
