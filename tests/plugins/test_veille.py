"""The veille's library parts. Incremental comment extraction, every platform, against the real
sandbox over HTTP: only the comments created in the period, landed as an hourly partition of
the same schema, pseudonymised, idempotent per hour. Loading them apart from the daily files.
Publishing the veille marts without touching the other published marts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import duckdb
import pyarrow.parquet as pq
import pytest

from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.connectors import CONNECTORS, connector
from socialpulse.connectors.client import RetryPolicy
from socialpulse.extract import extract_account_comments, veille_period
from socialpulse.landing import Partition, list_partitions
from socialpulse.landing_schemas import schema_for
from socialpulse.load import load_landing
from socialpulse.publish import republish
from socialpulse.settings import get_settings
from tests.conftest import RUN_DS, SANDBOX_TODAY
from tests.plugins._db_helpers import run_sql

FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)
START = datetime(2026, 11, 19, 22, tzinfo=UTC)  # the hour [22:00, 23:00) of the last full day
END = START + timedelta(hours=1)
TIME_FIELD = {"facebook": "created_time", "instagram": "created_time"}
PRIVATE = {"from", "username", "name", "author_id", "author_name", "actor", "account", "in_reply_to_account_id"}


@pytest.fixture
def veille_env(settings, sandbox, monkeypatch):
    for platform in CONNECTORS:
        monkeypatch.setenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", "sandbox-token")
    from socialpulse.settings import Settings

    return Settings.from_env()


@pytest.fixture(scope="module")
def world():
    """(platform, created_at) of every comment on the posts of the veille's 7-day window."""
    t = truth(seed=42, today=SANDBOX_TODAY, start=RUN_DS - timedelta(days=6), end=RUN_DS)
    platform = {p["post_id"]: p["platform"] for p in t["posts"]}
    return Counter(
        (platform[c["post_id"]], datetime.fromisoformat(c["created_at"].replace("Z", "+00:00"))) for c in t["comments"]
    )


def hourly_rows(settings, start: datetime) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    for part, path in list_partitions(settings.landing_dir, hourly=True):
        if part.ds == start.date() and part.hour == start.hour:
            rows.setdefault(part.platform, []).extend(pq.read_table(path).to_pylist())
    return rows


def test_every_connector_declares_its_comment_entity():
    for platform in CONNECTORS:
        module = connector(platform)
        assert module.COMMENT_ENTITY in module.LANDING_SCHEMAS, platform
        assert callable(module.extract_comments), platform


def test_the_period_is_the_data_interval_widened_by_the_overlap():
    cfg = load_accounts(get_settings().config_file)
    period, window = veille_period(cfg, "facebook", START, END)
    assert (period.start, period.end) == (START - timedelta(hours=2), END)
    assert (window.start, window.end) == (RUN_DS - timedelta(days=6), RUN_DS)


def test_one_hour_of_every_platform_lands_exactly_the_comments_created_in_its_period(veille_env, world):
    cfg = load_accounts(veille_env.config_file)
    results = [
        extract_account_comments(veille_env, cfg, a, START, END, run_id="veille-test", policy=FAST)
        for a in cfg.accounts
    ]
    assert {r.hour for r in results} == {22} and {r.ds for r in results} == {"2026-11-19"}
    landed = hourly_rows(veille_env, START)
    got = Counter(
        (platform, row[TIME_FIELD.get(platform, "created_at")]) for platform, rows in landed.items() for row in rows
    )
    want = Counter({k: n for k, n in world.items() if START - timedelta(hours=2) <= k[1] < END})
    assert sum(want.values()) > 20
    assert got == want

    for platform, rows in landed.items():
        entity = connector(platform).COMMENT_ENTITY
        part = Partition(platform, entity, START.date(), rows[0]["_account_key"], hour=22)
        assert pq.read_schema(veille_env.landing_dir / part.relpath()).names == schema_for(platform, entity).names
        for row in rows:
            assert not PRIVATE & set(row), (platform, sorted(row))
            assert row["author_pseudo_id"] is None or len(row["author_pseudo_id"]) == 32
            assert row["_source"] == "api" and row["_ds"].isoformat() == "2026-11-19"


def test_a_rerun_of_the_hour_replaces_its_files_and_the_loader_keeps_one_row_per_extraction(veille_env):
    cfg = load_accounts(veille_env.config_file)
    accounts = cfg.for_platform("facebook")
    for run in ("first", "second"):
        for a in accounts:
            extract_account_comments(veille_env, cfg, a, START, END, run_id=run, policy=FAST)
    files = [p for p, _ in list_partitions(veille_env.landing_dir, hourly=True)]
    assert len(files) == len(accounts)
    assert list_partitions(veille_env.landing_dir) == []  # hourly files are not daily partitions

    daily_report = load_landing(veille_env.build_db, veille_env.landing_dir)
    assert daily_report.files_loaded == 0  # the build DAG's load leaves them to the veille
    report = load_landing(veille_env.build_db, veille_env.landing_dir, hourly=True)
    assert report.files_loaded == len(accounts)
    assert report.max_ds is None  # hourly files never move the warehouse's "as of" date
    landed = sum(len(r) for r in hourly_rows(veille_env, START).values())
    assert report.rows_by_table == {"raw.facebook__comments": landed}
    assert load_landing(veille_env.build_db, veille_env.landing_dir, hourly=True).files_loaded == 0


def _tables(path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables order by 1"
        ).fetchall()
        return {n: sorted(con.execute(f"select * from {n}").fetchall()) for (n,) in names}
    finally:
        con.close()


def test_republish_replaces_only_the_given_marts_and_keeps_the_rest_as_published(settings):
    settings.home.mkdir(parents=True, exist_ok=True)
    run_sql(
        settings.serving_db,
        [
            "create schema marts",
            "create table marts._published as select date '2026-11-19' as ds, 'daily' as run_id",
            "create table marts.fct_account_daily as select 1 as audited",
            "create table marts.fct_comments as select 'old' as message",
        ],
    )
    run_sql(
        settings.build_db,
        [
            "create schema marts",
            # the build database may hold marts an audit has not passed yet: never published from here
            "create table marts.fct_account_daily as select 2 as unaudited",
            "create table marts.fct_comments as select 'new' as message",
        ],
    )
    before = settings.serving_db.stat().st_ino
    report = republish(
        settings.serving_db,
        build_db=settings.build_db,
        tables=["marts.fct_comments", "marts.rpt_topic_spikes"],  # the second is not built yet: skipped
        exports_dir=settings.exports_dir,
    )
    assert report.tables == {"marts.fct_comments": 1}
    assert _tables(settings.serving_db) == {
        "marts._published": [(date(2026, 11, 19), "daily")],
        "marts.fct_account_daily": [(1,)],
        "marts.fct_comments": [("new",)],
    }
    assert settings.serving_db.stat().st_ino != before  # a new file renamed over the old one
    assert [p.relative_to(settings.exports_dir).as_posix() for p in settings.exports_dir.rglob("*.parquet")] == [
        "fct_comments/data_0.parquet"
    ]
    with pytest.raises(ValueError):
        republish(settings.serving_db, build_db=settings.build_db, tables=["raw.facebook__comments"])


# -- the alert state: outside the build database ---------------------------------------------

ALERT_AS_OF = datetime(2026, 11, 20, tzinfo=UTC)
# what earlier versions kept in the build database, as they created it
LEGACY_DDL = """
create table ops.alerted_spikes (
    spike_id varchar primary key,
    alerted_at timestamptz not null,
    run_id varchar not null,
    delivered_to varchar,
    spike json not null
)
"""


def _spike(spike_id: str, value: str = "transports") -> dict:
    return {
        "spike_id": spike_id,
        "granularity": "hour",
        "dimension": "topic",
        "value": value,
        "topic": value,
        "started_at": ALERT_AS_OF - timedelta(hours=3),
        "comment_count": 42,
        "baseline_median": 4.0,
        "robust_z": 16.5,
        "is_ongoing": True,
    }


def _publish_spikes(serving_db, spikes: list[dict]) -> None:
    """A serving database whose marts.rpt_topic_spikes holds `spikes`."""
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    run_sql(
        serving_db,
        [
            "create schema if not exists marts",
            "create or replace table marts.rpt_topic_spikes (spike_id varchar, granularity varchar, "
            "dimension varchar, value varchar, topic varchar, started_at timestamptz, comment_count bigint, "
            "baseline_median double, robust_z double, is_ongoing boolean)",
            *(
                "insert into marts.rpt_topic_spikes values ("
                f"'{s['spike_id']}', 'hour', 'topic', '{s['value']}', '{s['topic']}', "
                f"'{s['started_at'].isoformat()}', 42, 4.0, 16.5, true)"
                for s in spikes
            ),
        ],
    )


class Recorder:
    """A notify callable that records what it was asked to send (log-only delivery)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(self, spike: dict) -> str | None:
        self.sent.append(str(spike["spike_id"]))
        return None


def _rebuild_build_db(settings) -> None:
    """What a rebuild from scratch leaves: a new build database file, whatever the old one held."""
    settings.build_db.unlink(missing_ok=True)
    run_sql(
        settings.build_db, ["create schema marts", "create table marts.fct_comments as select 'rebuilt' as message"]
    )


def test_rebuilding_the_build_database_does_not_alert_old_spikes_again(settings):
    from socialpulse.alert_state import read_alerted
    from socialpulse.veille import alert_new_spikes

    notify = Recorder()
    _publish_spikes(settings.serving_db, [_spike("a"), _spike("b", "lycees")])
    _rebuild_build_db(settings)
    first = alert_new_spikes(settings, notify, as_of=ALERT_AS_OF, run_id="r1")
    assert sorted(first.alerted) == ["a", "b"]

    _rebuild_build_db(settings)  # deleted and rebuilt: the state is not in it
    second = alert_new_spikes(settings, notify, as_of=ALERT_AS_OF + timedelta(hours=1), run_id="r2")
    assert second.alerted == [] and second.already == 2

    # a new spike after the rebuild is alerted, once
    _publish_spikes(settings.serving_db, [_spike("a"), _spike("b", "lycees"), _spike("c", "culture")])
    third = alert_new_spikes(settings, notify, as_of=ALERT_AS_OF + timedelta(hours=2), run_id="r3")
    settings.build_db.unlink()
    fourth = alert_new_spikes(settings, notify, as_of=ALERT_AS_OF + timedelta(hours=3), run_id="r4")
    assert third.alerted == ["c"] and fourth.alerted == [] and fourth.already == 3
    assert sorted(notify.sent) == ["a", "b", "c"]

    # the state: one JSON object per spike, under SOCIALPULSE_HOME, outside both databases
    assert settings.alert_state_file.parent == settings.home / "state"
    state = read_alerted(settings.alert_state_file)
    assert [(s.spike_id, s.run_id) for s in state] == [("a", "r1"), ("b", "r1"), ("c", "r3")]
    assert state[2].spike["value"] == "culture" and state[2].spike["started_at"] == "2026-11-19T21:00:00+00:00"
    assert [p.name for p in settings.alert_state_file.parent.iterdir()] == ["alerted_spikes.jsonl"]  # no temp left
    assert not settings.build_db.exists()  # alerting never creates the build database


def test_spikes_alerted_in_the_build_database_are_carried_over_once(settings):
    from socialpulse.alert_state import read_alerted
    from socialpulse.veille import alert_new_spikes

    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    run_sql(
        settings.build_db,
        [
            "create schema ops",
            LEGACY_DDL,
            "insert into ops.alerted_spikes values ('a', '2026-11-18 10:00:00+00', 'old-run', 'hooks.example', "
            '\'{"spike_id": "a", "value": "transports"}\')',
        ],
    )
    _publish_spikes(settings.serving_db, [_spike("a"), _spike("b", "lycees")])
    notify = Recorder()
    report = alert_new_spikes(settings, notify, as_of=ALERT_AS_OF, run_id="r1")
    assert report.alerted == ["b"] and report.already == 1 and notify.sent == ["b"]
    state = read_alerted(settings.alert_state_file)
    assert [(s.spike_id, s.run_id, s.delivered_to) for s in state] == [
        ("a", "old-run", "hooks.example"),
        ("b", "r1", None),
    ]
    assert state[0].alerted_at == "2026-11-18T10:00:00+00:00" and state[0].spike == {
        "spike_id": "a",
        "value": "transports",
    }

    # from now on the file is the state: a rebuilt build database brings nothing back
    _rebuild_build_db(settings)
    again = alert_new_spikes(settings, notify, as_of=ALERT_AS_OF, run_id="r2")
    assert again.alerted == [] and notify.sent == ["b"]


def test_a_damaged_state_file_stops_the_alerts_naming_its_line(settings):
    from socialpulse.alert_state import AlertStateError
    from socialpulse.veille import alert_new_spikes

    _publish_spikes(settings.serving_db, [_spike("a"), _spike("b", "lycees")])
    notify = Recorder()
    alert_new_spikes(settings, notify, as_of=ALERT_AS_OF, run_id="r1")
    with settings.alert_state_file.open("a", encoding="utf-8") as handle:
        handle.write('{"spike_id": "c", "alerted_at": \n')
    with pytest.raises(AlertStateError, match=r"alerted_spikes\.jsonl, line 3: not an alerted spike"):
        alert_new_spikes(settings, notify, as_of=ALERT_AS_OF, run_id="r2")
    assert notify.sent == ["a", "b"]  # nothing sent twice when the state cannot be read
