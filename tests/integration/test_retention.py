"""Retention of comment texts, through Airflow: `airflow dags test socialpulse_maintenance`
on a week of real sandbox comments (daily and hourly landing files, raw, dbt's comment
marts, the serving database and its exports). Texts older than the retention must be
gone from every file and every column; newer ones and every row must stay; a rerun
must change nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

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
from socialpulse.settings import REPO_ROOT, Settings
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
    files = sorted(folder.rglob("*.parquet"))
    assert any(path.parent.name == "fct_comments" or path.parent.parent.name == "fct_comments" for path in files)
    for path in files:
        table = pq.read_table(path)
        for name in table.column_names:
            if pa.types.is_string(table.schema.field(name).type):
                n = sum(1 for v in table[name].to_pylist() if v in old_texts)
                if n:
                    found[f"{path.relative_to(folder)}:{name}"] = n
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
            "labels": labels(settings.build_db),
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


LABELS = ("is_question", "topics", "main_topic", "is_abusive", "abuse_categories")
FCT_LABELS = f"select comment_id, created_at, message, {', '.join(LABELS)} from marts.fct_comments"


def labels(db_path) -> dict:
    """What the comment labels feed, by comment: fct_comments' labels (and creation, text), the
    topic bridge, and the topic series of rpt_topic_trends (hashtags are read from texts: not compared)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        facts = {
            r[0]: {"created_at": r[1], "message": r[2], **dict(zip(LABELS, r[3:], strict=True))}
            for r in con.execute(FCT_LABELS).fetchall()
        }
        bridge = set(con.execute("select comment_id, topic, topic_weight from marts.bdg_comment_topics").fetchall())
        trends = sorted(
            con.execute("select * from marts.rpt_topic_trends where dimension = 'topic'").fetchall(),
            key=repr,
        )
        hashtags = set(
            con.execute(
                "select granularity, bucket_start, value, comment_count from marts.rpt_topic_trends "
                "where dimension = 'hashtag'"
            ).fetchall()
        )
    finally:
        con.close()
    return {"facts": facts, "bridge": bridge, "trends": trends, "hashtags": hashtags}


def recipe_from_the_docs() -> str:
    """The SQL that docs block `comment_labels` (dbt_project/models/marts/veille.md) gives to put
    the labels back into a build database rebuilt from scratch."""
    docs = (REPO_ROOT / "dbt_project" / "models" / "marts" / "veille.md").read_text(encoding="utf-8")
    block = docs.split("{% docs comment_labels %}", 1)[1].split("{% enddocs %}", 1)[0]
    found = re.search(r"```sql\n(.*?)```", block, re.S)
    assert found, "the comment_labels docs lost their recipe"
    return found[1]


def run_dbt(settings: Settings, *args: str, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "build",
            *args,
            "--project-dir",
            str(settings.dbt_project_dir),
            "--profiles-dir",
            str(settings.dbt_project_dir),
            "--target-path",
            str(settings.home / "dbt" / "test"),
            "--log-path",
            str(settings.home / "dbt" / "test-logs"),
            "--vars",
            f'{{"as_of": "{RUN.isoformat()}"}}',
        ],
        cwd=settings.dbt_project_dir,
        env={**os.environ, **settings.dbt_env(), **(env or {})},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]


@pytest.fixture(scope="module")
def rebuilt(purged, tmp_path_factory):
    """After the purge: the comment marts rebuilt (1) as the next build does, (2) with
    `--full-refresh` and an edited abuse lexicon, (3) in a build database rebuilt from
    scratch (landing loaded again, labels put back by the docs' recipe)."""
    settings = purged["settings"]
    found = {}
    dbt_build(settings, [f"+{m}" for m in VEILLE_MARTS], as_of=RUN, echo=lambda _: None)
    found["rebuilt"] = labels(settings.build_db)

    lexicon = tmp_path_factory.mktemp("lexicon") / "abuse_lexicon.csv"
    lexicon.write_text("term,category,note\nzzqxwvk,insulte,a word nobody writes\n", encoding="utf-8")
    edited = {"SOCIALPULSE_ABUSE_LEXICON": str(lexicon)}
    # the unit tests classify with the seed's lexicon: not with this one
    run_dbt(
        settings,
        "--full-refresh",
        "--select",
        *(f"int_comment_labels+,+{m}" for m in VEILLE_MARTS),
        "--indirect-selection",
        "cautious",
        "--exclude-resource-type",
        "unit_test",
        env=edited,
    )
    found["full_refresh_edited"] = labels(settings.build_db)

    previous = os.environ.get("SOCIALPULSE_BUILD_DB")
    os.environ["SOCIALPULSE_BUILD_DB"] = str(settings.home / "rebuilt.duckdb")
    try:
        fresh = Settings.from_env()
        con = duckdb.connect(str(fresh.build_db))
        try:
            con.execute(recipe_from_the_docs().replace("data/warehouse.duckdb", str(settings.serving_db)))
        finally:
            con.close()
        load_landing(fresh.build_db, fresh.landing_dir)
        load_landing(fresh.build_db, fresh.landing_dir, hourly=True)
        dbt_build(fresh, [f"+{m}" for m in VEILLE_MARTS], as_of=RUN, echo=lambda _: None)
        found["from_scratch"] = labels(fresh.build_db)
    finally:
        if previous is None:
            os.environ.pop("SOCIALPULSE_BUILD_DB", None)
        else:
            os.environ["SOCIALPULSE_BUILD_DB"] = previous
    return found


def expired_ids(state: dict) -> set[str]:
    return {cid for cid, f in state["facts"].items() if f["created_at"] < CUTOFF}


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


def test_the_labels_setup_would_show_a_loss(purged):
    """Purged comments must carry labels a text-less classification would not give (a question, a
    topic, abuse), or keeping them would prove nothing; likewise retained abusive comments for the edit."""
    facts = purged["before"]["labels"]["facts"]
    old = [facts[c] for c in expired_ids(purged["before"]["labels"])]
    assert len(old) > 100
    assert sum(f["is_question"] for f in old) > 10 and sum(f["is_abusive"] for f in old) > 0
    assert sum(f["topics"] != "autre" for f in old) > 10
    assert sum(f["is_abusive"] for f in facts.values() if f["created_at"] >= CUTOFF) > 0


def test_purged_comments_keep_exactly_their_labels_through_the_next_build(purged, rebuilt):
    before, after = purged["before"]["labels"], rebuilt["rebuilt"]
    old = expired_ids(before)
    assert set(after["facts"]) == set(before["facts"])
    assert all(after["facts"][c]["message"] is None for c in old)  # the texts are gone ...
    changed = [
        (c, {k: before["facts"][c][k] for k in LABELS}, {k: after["facts"][c][k] for k in LABELS})
        for c in before["facts"]
        if any(before["facts"][c][k] != after["facts"][c][k] for k in LABELS)
    ]
    # ... not the labels
    assert not changed, f"{len(changed)} comments changed labels (id, before, after): {changed[:5]}"
    assert after["bridge"] == before["bridge"]
    assert after["trends"] == before["trends"]


def test_a_full_refresh_keeps_purged_labels_and_an_edit_still_reaches_held_texts(purged, rebuilt):
    """`--full-refresh` with an abuse lexicon that matches nothing: the comments whose text is held
    are reclassified (none is abusive any more), the purged ones keep the labels of their text."""
    before, after = purged["before"]["labels"], rebuilt["full_refresh_edited"]
    old = expired_ids(before)
    for c, was in before["facts"].items():
        now = after["facts"][c]
        if c in old:
            assert {k: now[k] for k in LABELS} == {k: was[k] for k in LABELS}, c
        else:
            assert (now["is_abusive"], now["abuse_categories"]) == (False, None), c
            assert (now["is_question"], now["topics"], now["main_topic"]) == (
                was["is_question"],
                was["topics"],
                was["main_topic"],
            ), c
    assert any(before["facts"][c]["is_abusive"] for c in old)


def test_a_build_database_rebuilt_from_scratch_gets_the_labels_back_by_the_docs_recipe(purged, rebuilt):
    before, after = purged["before"]["labels"], rebuilt["from_scratch"]
    assert set(after["facts"]) == set(before["facts"])
    assert all(after["facts"][c]["message"] is None for c in expired_ids(before))
    assert {c: {k: f[k] for k in LABELS} for c, f in after["facts"].items()} == {
        c: {k: f[k] for k in LABELS} for c, f in before["facts"].items()
    }
    assert after["bridge"] == before["bridge"]


def test_hashtags_go_with_the_texts_as_a_build_from_scratch_counts_them(purged, rebuilt):
    """The purge deletes the trend counts of the days losing texts and the next build counts
    them again: the hashtags of purged comments are gone, exactly as a build from the purged
    landing counts them; the days after the cutoff keep theirs."""
    before, after = purged["before"]["labels"]["hashtags"], rebuilt["rebuilt"]["hashtags"]
    assert any(bucket < CUTOFF for _, bucket, _, _ in before), "no hashtag before the cutoff: nothing to lose"
    assert after == rebuilt["from_scratch"]["hashtags"]
    assert after < before
    assert {h for h in before if h[1] >= CUTOFF + timedelta(days=1)} <= after
