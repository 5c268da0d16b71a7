"""La veille through Airflow: `airflow dags test socialpulse_veille` for two consecutive hours
(and a rerun of the second) against a sandbox child process over HTTP. The sandbox's world
says which comments exist when; a local webhook counts the alerts. Then, on a copy of that
home, the build database deleted and rebuilt from landing, and the next hour: no spike is
alerted twice.

The history before those hours (five weeks, so that the trend baseline is complete and
the 17 November 2026 strike shows as spikes) is extracted, loaded, built and published
with the library functions the daily DAGs call, not through them: the daily DAGs have
their own end-to-end test, and going through six extract DAGs and the build's audits
would triple this test's time for nothing it checks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import duckdb
import pyarrow.parquet as pq
import pytest

from sandbox.truth import truth
from socialpulse.alert_state import read_alerted
from socialpulse.config import load_accounts
from socialpulse.extract import extract_account
from socialpulse.landing import list_partitions
from socialpulse.load import load_landing
from socialpulse.notifiers import WEBHOOK_CONN_ID
from socialpulse.publish import publish
from socialpulse.runner import dag_test, ensure_airflow, pipeline_env, sandbox_server
from socialpulse.settings import Settings
from socialpulse.veille import VEILLE_MARTS, dbt_build
from tests.integration.test_end_to_end import LINEAGE
from tests.plugins.test_notifiers import Webhook

pytestmark = pytest.mark.integration

DS = date(2026, 11, 19)
PLATFORMS = ("facebook", "instagram", "linkedin", "x", "bluesky", "mastodon")
SEED = 42
HISTORY_DAYS = 35  # the trend baseline compares four previous weeks
HOUR_1 = datetime(2026, 11, 19, 23, tzinfo=UTC)  # logical date: data interval [22:00, 23:00)
HOUR_2 = datetime(2026, 11, 20, 0, tzinfo=UTC)  # [23:00, 24:00)
HOUR_3 = datetime(2026, 11, 20, 1, tzinfo=UTC)  # [00:00, 01:00): the run after a rebuild
OVERLAP = timedelta(hours=2)
# landing column that identifies a comment, per platform
ID_FIELD = {
    "facebook": "comment_id",
    "instagram": "comment_id",
    "linkedin": "comment_urn",
    "x": "reply_id",
    "bluesky": "rkey",
    "mastodon": "status_id",
}
TIME_FIELD = {"facebook": "created_time", "instagram": "created_time"}
COMPARED_MARTS = ("fct_comments", "rpt_moderation_queue", "rpt_topic_trends", "rpt_topic_spikes")


def hour_rows(settings: Settings, slot: datetime) -> list[dict]:
    """Every landed row of the hourly partition `slot` (its data interval start), with its platform."""
    rows = []
    for part, path in list_partitions(settings.landing_dir, hourly=True):
        if part.ds == slot.date() and part.hour == slot.hour:
            rows.extend({**r, "_platform": part.platform} for r in pq.read_table(path).to_pylist())
    return rows


def keys(rows: list[dict]) -> set[tuple[str, str]]:
    return {(r["_platform"], str(r[ID_FIELD[r["_platform"]]])) for r in rows}


def created(row: dict) -> datetime:
    return row[TIME_FIELD.get(row["_platform"], "created_at")]


def marts(settings: Settings) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        # a rerun reloads the hour's files: the load's wall-clock stamps move, nothing else
        columns = {t: f"* exclude ({LINEAGE[t]})" if t in LINEAGE else "*" for t in COMPARED_MARTS}
        return {t: sorted(con.execute(f"select {c} from marts.{t}").fetchall(), key=repr) for t, c in columns.items()}
    finally:
        con.close()


def other_marts(settings: Settings) -> dict[str, list[tuple]]:
    """Every published table the veille does not build (the daily build's audited marts, _published)."""
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
            if r[0] not in VEILLE_MARTS
        ]
        return {t: sorted(con.execute(f"select * from marts.{t}").fetchall(), key=repr) for t in names}
    finally:
        con.close()


def build_query(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def alerted_ids(output: str) -> list[str]:
    """Spike ids the notifier logged in one `airflow dags test` output."""
    return re.findall(r"Topic spike alert: .*?\[spike ([0-9a-f]+)\]", output)


@pytest.fixture(scope="module")
def veille(tmp_path_factory):
    home = tmp_path_factory.mktemp("veille") / "data"
    old = dict(os.environ)
    os.environ["SOCIALPULSE_HOME"] = str(home)
    os.environ["SOCIALPULSE_PSEUDONYM_KEY"] = "veille-pseudonym-key"
    settings = Settings.from_env()
    hook = Webhook()
    try:
        with sandbox_server(DS + timedelta(days=1), seed=SEED) as url:
            env = pipeline_env(settings, url)
            os.environ.update({k: v for k, v in env.items() if k.startswith("SOCIALPULSE_")})
            settings = Settings.from_env()  # now with the sandbox's URL
            cfg = load_accounts(settings.config_file)
            for account in cfg.accounts:
                extract_account(settings, cfg, account, DS, days=HISTORY_DAYS, run_id="history")
            load_landing(settings.build_db, settings.landing_dir)
            dbt_build(settings, [f"+{m}" for m in VEILLE_MARTS], as_of=HOUR_1, echo=lambda _: None)
            publish(settings.build_db, settings.serving_db, ds=DS, run_id="history", exports_dir=settings.exports_dir)
            others_before = other_marts(settings)
            ensure_airflow(env)
            env[f"AIRFLOW_CONN_{WEBHOOK_CONN_ID.upper()}"] = json.dumps(
                {"conn_type": "http", "host": "127.0.0.1", "port": hook.port, "schema": "http",
                 "extra": {"endpoint": "/alerts/secret-path"}}
            )  # fmt: skip
            out = {}
            out["first"] = dag_test("socialpulse_veille", HOUR_1, env, settings)
            first_hour = hour_rows(settings, HOUR_1 - timedelta(hours=1))
            out["second"] = dag_test("socialpulse_veille", HOUR_2, env, settings)
            second_hour = hour_rows(settings, HOUR_2 - timedelta(hours=1))
            raw_before_rerun = build_query(
                settings, "select count(*), count(distinct _landing_file) from raw.facebook__comments"
            )
            marts_before_rerun = marts(settings)
            posts_before_rerun = len(hook.posts)
            out["rerun"] = dag_test("socialpulse_veille", HOUR_2, env, settings)
            yield {
                "settings": settings,
                "out": out,
                "first_hour": first_hour,
                "second_hour": second_hour,
                "second_hour_rerun": hour_rows(settings, HOUR_2 - timedelta(hours=1)),
                "raw_before_rerun": raw_before_rerun,
                "marts_before_rerun": marts_before_rerun,
                "posts_before_rerun": posts_before_rerun,
                "hook": hook,
                "others_before": others_before,
                "sandbox_url": url,
            }
    finally:
        hook.stop()
        os.environ.clear()
        os.environ.update(old)


@pytest.fixture(scope="module")
def world_comments():
    """(platform, created_at) of every comment the sandbox world holds on the last week's posts."""
    t = truth(seed=SEED, today=DS + timedelta(days=1), start=DS - timedelta(days=6), end=DS)
    platform = {p["post_id"]: p["platform"] for p in t["posts"]}
    return Counter(
        (platform[c["post_id"]], datetime.fromisoformat(c["created_at"].replace("Z", "+00:00"))) for c in t["comments"]
    )


def _between(counter: Counter, start: datetime, end: datetime) -> Counter:
    return Counter({k: n for k, n in counter.items() if start <= k[1] < end})


def test_an_hour_lands_the_comments_of_its_interval_plus_the_overlap(veille, world_comments):
    start = HOUR_1 - timedelta(hours=1)
    landed = Counter((r["_platform"], created(r)) for r in veille["first_hour"])
    expected = _between(world_comments, start - OVERLAP, HOUR_1)
    assert sum(expected.values()) > 0
    assert landed == expected
    assert {p for p, _ in landed} <= set(PLATFORMS)


def test_the_next_hour_lands_only_what_is_new_plus_the_overlap(veille, world_comments):
    first, second = veille["first_hour"], veille["second_hour"]
    start = HOUR_2 - timedelta(hours=1)
    assert Counter((r["_platform"], created(r)) for r in second) == _between(world_comments, start - OVERLAP, HOUR_2)
    new = keys(second) - keys(first)
    again = keys(second) & keys(first)
    assert {(r["_platform"], str(r[ID_FIELD[r["_platform"]]])) for r in second if created(r) >= start} == new
    assert {(r["_platform"], str(r[ID_FIELD[r["_platform"]]])) for r in second if created(r) < start} == again
    assert all(start - OVERLAP <= created(r) < HOUR_2 for r in second)


def test_commenters_are_pseudonymised_and_nothing_names_them(veille):
    for row in veille["first_hour"] + veille["second_hour"]:
        assert re.fullmatch(r"[0-9a-f]{32}", row["author_pseudo_id"] or "0" * 32), row
        assert not {"from", "username", "author_id", "author_name", "actor", "account"} & set(row)


def test_rerunning_an_hour_changes_nothing(veille):
    assert keys(veille["second_hour_rerun"]) == keys(veille["second_hour"])
    settings = veille["settings"]
    files = [p for p, _ in list_partitions(settings.landing_dir, hourly=True) if p.hour == 23]
    assert len(files) == len({(p.platform, p.account_key) for p in files}) == 12  # one file per account, replaced
    assert (
        build_query(settings, "select count(*), count(distinct _landing_file) from raw.facebook__comments")
        == veille["raw_before_rerun"]
    )
    assert marts(settings) == veille["marts_before_rerun"]


def test_raw_holds_one_row_per_comment_per_extraction_and_dbt_keeps_the_latest(veille):
    settings = veille["settings"]
    hourly = build_query(
        settings,
        "select count(*) from raw.facebook__comments where _landing_file like '%/hour=%'",
    )[0][0]
    landed = sum(1 for r in veille["first_hour"] + veille["second_hour"] if r["_platform"] == "facebook")
    assert hourly == landed
    dupes = build_query(
        settings, "select count(*) - count(distinct comment_id) from intermediate.int_comments_unioned"
    )[0][0]
    assert dupes == 0


def test_the_veille_marts_are_published_with_the_new_comments(veille):
    settings = veille["settings"]
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        newest = con.execute("select max(created_at) from marts.fct_comments").fetchone()[0]
        published = con.execute("select ds from marts._published").fetchone()[0]
        queue_as_of = con.execute("select distinct as_of from marts.rpt_moderation_queue").fetchall()
    finally:
        con.close()
    assert newest >= HOUR_2 - timedelta(hours=1)
    others = other_marts(settings)
    assert {"dim_accounts", "dim_posts", "dim_topics", "_published"} <= set(others)
    assert others == veille["others_before"]  # the daily build's audited marts, untouched
    assert published == DS  # the daily build's as-of date: the veille does not move it
    assert queue_as_of in ([], [(HOUR_2,)])


def test_each_spike_raises_one_alert_across_runs_and_one_post_each(veille):
    settings = veille["settings"]
    logged = [i for run in ("first", "second", "rerun") for i in alerted_ids(veille["out"][run])]
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        spikes = {r[0] for r in con.execute("select spike_id from marts.rpt_topic_spikes").fetchall()}
    finally:
        con.close()
    assert spikes, "the sandbox's 17 November strike must show as a spike in the week's comments"
    assert sorted(logged) == sorted(set(logged)), "a spike was alerted twice"
    assert set(logged) == spikes
    assert alerted_ids(veille["out"]["rerun"]) == []
    posted = [p["json"]["spike"]["spike_id"] for p in veille["hook"].posts]
    assert sorted(posted) == sorted(logged)
    assert all(p["path"] == "/alerts/secret-path" for p in veille["hook"].posts)
    assert len(veille["hook"].posts) == veille["posts_before_rerun"]
    state = read_alerted(settings.alert_state_file)
    assert {s.spike_id for s in state} == spikes and {s.delivered_to for s in state} == {"127.0.0.1"}
    for run in veille["out"].values():
        assert "secret-path" not in run


@pytest.fixture(scope="module")
def rebuilt(veille, tmp_path_factory):
    """A copy of the veille's SOCIALPULSE_HOME after its runs (the one the other tests read stays
    as it is), whose build database is deleted and rebuilt from landing; then the next hour runs."""
    home = tmp_path_factory.mktemp("rebuilt") / "data"
    shutil.copytree(veille["settings"].home, home)
    old = dict(os.environ)
    hook = Webhook()
    try:
        os.environ["SOCIALPULSE_HOME"] = str(home)
        for name in ("SOCIALPULSE_BUILD_DB", "SOCIALPULSE_SERVING_DB"):  # the first home's: not these
            os.environ.pop(name, None)
        settings = Settings.from_env()
        assert settings.build_db.parent == home and settings.serving_db.parent == home
        alerted_before = read_alerted(settings.alert_state_file)
        settings.build_db.unlink()
        load_landing(settings.build_db, settings.landing_dir)
        load_landing(settings.build_db, settings.landing_dir, hourly=True)
        dbt_build(settings, [f"+{m}" for m in VEILLE_MARTS], as_of=HOUR_2, echo=lambda _: None)
        env = pipeline_env(settings, veille["sandbox_url"])
        ensure_airflow(env)
        env[f"AIRFLOW_CONN_{WEBHOOK_CONN_ID.upper()}"] = json.dumps(
            {"conn_type": "http", "host": "127.0.0.1", "port": hook.port, "schema": "http",
             "extra": {"endpoint": "/alerts/secret-path"}}
        )  # fmt: skip
        output = dag_test("socialpulse_veille", HOUR_3, env, settings)
        yield {"settings": settings, "alerted_before": alerted_before, "output": output, "hook": hook}
    finally:
        hook.stop()
        os.environ.clear()
        os.environ.update(old)


def test_a_rebuilt_build_database_does_not_alert_old_spikes_again(rebuilt):
    """The alert state lives outside the build database: deleted and rebuilt from landing, the
    next hour's run alerts no spike alerted before (one new by then is alerted once)."""
    settings = rebuilt["settings"]
    before = {s.spike_id for s in rebuilt["alerted_before"]}
    assert before, "no spike alerted before the rebuild: the test proves nothing"
    # the rebuilt build database holds no alert state
    assert not build_query(settings, "select * from information_schema.tables where table_schema = 'ops'")
    again = alerted_ids(rebuilt["output"])
    assert not set(again) & before, f"re-alerted after the rebuild: {sorted(set(again) & before)}"
    assert sorted(again) == sorted(set(again))
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        spikes = {r[0] for r in con.execute("select spike_id from marts.rpt_topic_spikes").fetchall()}
    finally:
        con.close()
    assert before <= spikes  # the rebuilt database finds the same spikes, under the same ids
    assert {s.spike_id for s in read_alerted(settings.alert_state_file)} == before | set(again)
    assert [p["json"]["spike"]["spike_id"] for p in rebuilt["hook"].posts] == again
