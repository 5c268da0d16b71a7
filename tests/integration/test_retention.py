"""Retention of comment texts, through Airflow: `airflow dags test socialpulse_maintenance`
on a week of real sandbox comments (daily and hourly landing files, raw, dbt's comment
marts, the serving database and its exports). Texts older than the retention must be
gone from every file and every column; newer ones and every row must stay; a rerun
must change nothing.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from socialpulse.config import load_accounts
from socialpulse.extract import extract_account, extract_account_comments
from socialpulse.landing import list_partitions
from socialpulse.load import load_landing
from socialpulse.publish import publish
from socialpulse.retention import COMMENT_TEXTS, landed_texts_before
from socialpulse.runner import dag_test, ensure_airflow, pipeline_env
from socialpulse.settings import Settings
from socialpulse.veille import VEILLE_MARTS, dbt_build

pytestmark = pytest.mark.integration

DS = date(2026, 11, 19)  # the conftest sandbox's today is 2026-11-20
RUN = datetime(2026, 11, 20, tzinfo=UTC)  # the maintenance run's logical date (= its data interval end)
RETENTION_DAYS = 4
CUTOFF = RUN - timedelta(days=RETENTION_DAYS)  # 2026-11-16 00:00 UTC: half of the week is "expired"
PLATFORMS = ("facebook", "instagram", "linkedin", "x", "bluesky", "mastodon")


def landed_comments(settings: Settings) -> list[dict]:
    """(file, text, created) of every comment row in landing, daily and hourly files."""
    rows = []
    for part, path in list_partitions(settings.landing_dir, hourly=None):
        columns = COMMENT_TEXTS.get((part.platform, part.entity))
        if columns:
            for r in pq.read_table(path, columns=list(columns)).to_pylist():
                rows.append({"file": path, "text": r[columns[0]], "created": r[columns[1]]})
    return rows


def comment_files(settings: Settings) -> dict[str, tuple[int, int]]:
    return {
        str(path): (path.stat().st_mtime_ns, path.stat().st_ino)
        for part, path in list_partitions(settings.landing_dir, hourly=None)
        if (part.platform, part.entity) in COMMENT_TEXTS
    }


def leaks(db_path, old_texts: list[str], new_texts: list[str]) -> dict[str, int]:
    """Every text column of every table and view holding one of `old_texts`, or a long piece
    of one (an excerpt) that is not itself a newer comment's text (a newer comment may quote
    an older one, or add a hashtag to the same words)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        con.register("_old", pa.table({"t": pa.array(old_texts, pa.string())}))
        con.register("_new", pa.table({"t": pa.array(new_texts, pa.string())}))
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog') "
            "and table_name not in ('_old', '_new')"
        ).fetchall()
        found = {}
        for schema, table, column in columns:
            n = con.execute(
                f'select count(*) from "{schema}"."{table}" as x where x."{column}" in (select t from _old) '
                f'or (x."{column}" not in (select t from _new) and exists (select 1 from _old where '
                f'(length(_old.t) >= 30 and contains(x."{column}", _old.t)) '
                f'or (length(x."{column}") >= 30 and starts_with(_old.t, x."{column}"))))'
            ).fetchone()[0]
            if n:
                found[f"{schema}.{table}.{column}"] = n
        return found
    finally:
        con.close()


def parquet_leaks(folder, old_texts: set[str]) -> dict[str, int]:
    found = {}
    for path in sorted(folder.glob("*.parquet")):
        table = pq.read_table(path)
        for name in table.column_names:
            if pa.types.is_string(table.schema.field(name).type):
                n = sum(1 for v in table[name].to_pylist() if v in old_texts)
                if n:
                    found[f"{path.name}:{name}"] = n
    return found


def counts(db_path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def purged(sandbox_url, tmp_path_factory):
    home = tmp_path_factory.mktemp("retention") / "data"
    env_vars = {
        "SOCIALPULSE_HOME": str(home),
        "SOCIALPULSE_PSEUDONYM_KEY": "retention-pseudonym-key",
        "SOCIALPULSE_SANDBOX_URL": sandbox_url,
        "SOCIALPULSE_COMMENT_RETENTION_DAYS": str(RETENTION_DAYS),
        **{f"SOCIALPULSE_{p.upper()}_TOKEN": "sandbox-token" for p in PLATFORMS},
    }
    old = {k: os.environ.get(k) for k in env_vars}
    os.environ.update(env_vars)
    try:
        settings = Settings.from_env()
        cfg = load_accounts(settings.config_file)
        for account in cfg.accounts:  # a week of daily extractions, and one hour of the veille
            extract_account(settings, cfg, account, DS, days=7, run_id="daily")
            hour = datetime(2026, 11, 19, 22, tzinfo=UTC)
            extract_account_comments(settings, cfg, account, hour, hour + timedelta(hours=1), run_id="veille")
        load_landing(settings.build_db, settings.landing_dir)
        load_landing(settings.build_db, settings.landing_dir, hourly=True)
        dbt_build(settings, [f"+{m}" for m in VEILLE_MARTS], as_of=RUN, echo=lambda _: None)
        publish(settings.build_db, settings.serving_db, ds=DS, run_id="r", exports_dir=settings.exports_dir)

        before = landed_comments(settings)
        old_texts = {r["text"] for r in before if r["text"] and r["created"] < CUTOFF}
        new_texts = {r["text"] for r in before if r["text"] and r["created"] >= CUTOFF}
        state = {
            "landing_rows": len(before),
            "new_landed": sum(1 for r in before if r["text"] and r["created"] >= CUTOFF),
            "old_landed": sum(1 for r in before if r["text"] and r["created"] < CUTOFF),
            "raw": counts(settings.build_db, "select count(*), count(message) from raw.facebook__comments"),
            "fct": counts(settings.serving_db, "select count(*) from marts.fct_comments"),
            "fct_new_texts": counts(
                settings.serving_db, f"select count(message) from marts.fct_comments where created_at >= '{CUTOFF}'"
            ),
            "leaks_before": leaks(settings.build_db, sorted(old_texts - new_texts), sorted(new_texts)),
        }

        env = pipeline_env(settings, sandbox_url)
        ensure_airflow(env)
        first = dag_test("socialpulse_maintenance", RUN, env, settings)
        files_after_first = comment_files(settings)
        serving_after_first = settings.serving_db.stat()
        second = dag_test("socialpulse_maintenance", RUN, env, settings)
        yield {
            "settings": settings,
            "before": state,
            "old_only": sorted(old_texts - new_texts),
            "new_texts": sorted(new_texts),
            "first": first,
            "second": second,
            "files_after_first": files_after_first,
            "serving_after_first": serving_after_first,
        }
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_the_setup_has_texts_on_both_sides_of_the_cutoff(purged):
    before = purged["before"]
    assert before["old_landed"] > 100 and before["new_landed"] > 100
    assert len(purged["old_only"]) > 50
    assert before["leaks_before"], "the scan must see old texts before the purge, or it proves nothing"


def test_landing_holds_no_expired_text_and_keeps_every_row_and_newer_text(purged):
    settings = purged["settings"]
    assert landed_texts_before(settings.landing_dir, CUTOFF) == 0
    after = landed_comments(settings)
    assert len(after) == purged["before"]["landing_rows"]
    assert sum(1 for r in after if r["text"] and r["created"] >= CUTOFF) == purged["before"]["new_landed"]
    assert not {r["text"] for r in after} & set(purged["old_only"])


def test_no_database_table_or_view_holds_an_expired_text(purged):
    settings = purged["settings"]
    assert leaks(settings.build_db, purged["old_only"], purged["new_texts"]) == {}
    assert leaks(settings.serving_db, purged["old_only"], purged["new_texts"]) == {}
    assert parquet_leaks(settings.exports_dir, set(purged["old_only"])) == {}


def test_rows_and_newer_texts_stay(purged):
    settings = purged["settings"]
    raw_rows, raw_texts = counts(settings.build_db, "select count(*), count(message) from raw.facebook__comments")[0]
    before_rows, before_texts = purged["before"]["raw"][0]
    assert raw_rows == before_rows and 0 < raw_texts < before_texts
    assert counts(settings.serving_db, "select count(*) from marts.fct_comments") == purged["before"]["fct"]
    assert (
        counts(settings.serving_db, f"select count(message) from marts.fct_comments where created_at >= '{CUTOFF}'")
        == purged["before"]["fct_new_texts"]
    )
    assert counts(
        settings.serving_db, f"select count(message) from marts.fct_comments where created_at < '{CUTOFF}'"
    ) == [(0,)]


def test_the_loader_does_not_take_purged_files_for_new_data(purged):
    settings = purged["settings"]
    report = load_landing(settings.build_db, settings.landing_dir)
    assert report.files_loaded == 0


def test_a_rerun_finds_nothing_and_rewrites_nothing(purged):
    settings = purged["settings"]
    first = re.search(r"(\d+) erased in (\d+) of (\d+) landing files", purged["first"])
    second = re.search(r"(\d+) erased in (\d+) of (\d+) landing files", purged["second"])
    assert first and int(first[1]) == purged["before"]["old_landed"] and int(first[2]) > 0
    assert second and (second[1], second[2]) == ("0", "0")
    assert "build database: 0 comment texts erased" in purged["second"]
    assert "serving database: 0 comment texts erased" in purged["second"]
    assert comment_files(settings) == purged["files_after_first"]
    now = settings.serving_db.stat()
    assert (now.st_ino, now.st_mtime_ns) == (
        purged["serving_after_first"].st_ino,
        purged["serving_after_first"].st_mtime_ns,
    )
