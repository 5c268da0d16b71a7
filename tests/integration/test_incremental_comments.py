"""The comment chain is incremental on loads, and a full refresh gives the same result.

`int_<platform>__comments_deduplicated`, `int_comments_unioned` and `fct_comments` rewrite
at each build only the comments that a load brought since the last build (macros
loaded_since_last_build, loaded_after_watermark), plus, for fct_comments, the comments a
newly loaded account reply answers. Day after day as the build DAG runs it
(`_incremental_harness.py`), then: the last day again (a rerun), the first day again (a
backfill: an older extraction, loaded last, must not win), `--full-refresh`, and a rerun
after tampering with every row, which must rewrite the reloaded comments only.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import duckdb
import pytest

from socialpulse.settings import Settings
from tests.integration._incremental_harness import ACCOUNTS, DAYS, build, extract_and_load, private_home

pytestmark = pytest.mark.integration

SELECT = ["+fct_comments", "+rpt_topic_trends", "+bdg_comment_topics"]
TABLES = (
    *(f"intermediate.int_{platform}__comments_deduplicated" for platform in ACCOUNTS),
    "intermediate.int_comments_unioned",
    "marts.fct_comments",
)
# keyed by bucket: the counts, incremental by Paris day, and the mart rebuilt from them
TRENDS = ("intermediate.int_topic_trend_observed", "marts.rpt_topic_trends")
TREND_KEY = ("granularity", "bucket_start", "dimension", "value")
# keyed by comment and topic, incremental on the labelling (fct_comments.labelled_at)
BRIDGE = "marts.bdg_comment_topics"
KEYS = {
    **dict.fromkeys(TRENDS, TREND_KEY),
    BRIDGE: ("comment_id", "topic"),
}
COMPARED = (*TABLES, *TRENDS, BRIDGE)
PARIS = ZoneInfo("Europe/Paris")
# move with every extraction (the latest wins) and load (the watermarks)
LOAD_COLUMNS = {"_extracted_at", "_last_loaded_at", "loaded_at"}
TAMPERED = "tampered"


def snapshot(settings: Settings) -> dict[str, dict]:
    """Every row of each table of the chain, by comment_id (the trends: by bucket and value)."""
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        tables = {}
        for table in COMPARED:
            cursor = con.execute(f"select * from {table}")
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
            columns = KEYS.get(table)
            tables[table] = {(tuple(r[c] for c in columns) if columns else r["comment_id"]): r for r in rows}
            assert len(tables[table]) == len(rows), f"{table}: its key is not unique"
        return tables


def differences(a: dict[str, dict[str, dict]], b: dict[str, dict[str, dict]]) -> list[tuple]:
    """(table, comment_id, column, a's value, b's value) where the states differ, a few."""
    found = []
    for table in COMPARED:
        for key in sorted(set(a[table]) | set(b[table]), key=repr):
            ra, rb = a[table].get(key, {}), b[table].get(key, {})
            found += [
                (table, key, c, ra.get(c), rb.get(c)) for c in sorted(set(ra) | set(rb)) if ra.get(c) != rb.get(c)
            ]
    return found[:8]


def without_loads(state: dict[str, dict[str, dict]]) -> dict[str, dict[str, dict]]:
    return {
        table: {key: {c: v for c, v in row.items() if c not in LOAD_COLUMNS} for key, row in rows.items()}
        for table, rows in state.items()
    }


STAGING = [f"staging.stg_{p}__comments" for p in ACCOUNTS if p != "x"] + ["staging.stg_x__replies"]


def newest_load(settings: Settings, before: dict[str, dict[str, dict]]) -> tuple[set, set]:
    """The comments a load brought after the state `before` (in staging, i.e. raw, a
    `_loaded_at` newer than every one `before` holds), and the comments that the
    account's replies among them answer."""
    since = max(row["loaded_at"] for row in before["marts.fct_comments"].values())
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        union = " union all ".join(f"select comment_id, _loaded_at from {view}" for view in STAGING)
        newest = con.execute(f"select comment_id from ({union}) where _loaded_at > ?", [since]).fetchall()
        replies = con.execute(
            "select comment_id, parent_comment_id from intermediate.int_comments_unioned "
            "where is_by_account and parent_comment_id is not null"
        ).fetchall()
    reloaded = {r[0] for r in newest}
    return reloaded, {parent for key, parent in replies if key in reloaded}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("incremental_comments") / "data"
    states: dict = {}
    with pytest.MonkeyPatch.context() as mp:
        private_home(mp, home)
        for ds in DAYS:
            settings = extract_and_load(mp, ds)
            build(settings, SELECT, tests=ds == DAYS[-1])  # the tests once, on incremental tables
        states["incremental"] = snapshot(settings)
        build(extract_and_load(mp, DAYS[-1]), SELECT)
        states["rerun"] = snapshot(settings)
        states["rerun_load"] = newest_load(settings, states["incremental"])
        build(extract_and_load(mp, DAYS[0]), SELECT)
        states["backfill"] = snapshot(settings)
        states["backfill_load"] = newest_load(settings, states["rerun"])
        build(settings, SELECT, "--full-refresh")
        states["full_refresh"] = snapshot(settings)
        # every row wrong, where no rebuild of the row would leave it: the unioned likes,
        # the mart's text (which it takes from the unioned table, untouched there)
        with duckdb.connect(str(settings.build_db)) as con:
            con.execute("update intermediate.int_comments_unioned set like_count = -1")
            con.execute(f"update marts.fct_comments set message = '{TAMPERED}'")
            con.execute("update intermediate.int_topic_trend_observed set comment_count = -1")
            con.execute(f"update {BRIDGE} set topic_weight = -1")
        build(extract_and_load(mp, DAYS[-1]), SELECT)
        states["after_tampering"] = snapshot(settings)
        states["tampering_load"] = newest_load(settings, states["full_refresh"])
    return states


def test_daily_builds_equal_a_full_refresh(runs):
    incremental, full = runs["backfill"], runs["full_refresh"]
    for table in COMPARED:
        assert incremental[table], f"{table}: no row"
        assert incremental[table] == full[table], (table, differences(incremental, full))
    # every platform has comments, replies of the account answer some of them
    fct = full["marts.fct_comments"]
    assert {r["platform"] for r in fct.values()} == set(ACCOUNTS)
    assert any(r["is_answered"] for r in fct.values())
    assert set(full["intermediate.int_comments_unioned"]) == set(fct)


def test_a_rerun_moves_the_watermark_of_the_reloaded_comments_only(runs):
    before, after = runs["incremental"], runs["rerun"]
    assert without_loads(after) == without_loads(before), differences(without_loads(after), without_loads(before))
    reloaded, _ = runs["rerun_load"]
    fct_before, fct_after = before["marts.fct_comments"], after["marts.fct_comments"]
    moved = {key for key, row in fct_after.items() if row["loaded_at"] != fct_before[key]["loaded_at"]}
    assert moved == reloaded
    newest = max(row["loaded_at"] for row in fct_before.values())
    assert all(fct_after[key]["loaded_at"] > newest for key in moved)
    # the first day's comments, not extracted again on the last day, kept their load
    assert set(fct_after) - reloaded


def test_a_backfill_of_an_older_day_does_not_override_newer_extractions(runs):
    """The first day extracted again, loaded after the others: its extractions are older
    (`_ds`), so every comment keeps its attributes; only the watermark moves."""
    assert without_loads(runs["backfill"]) == without_loads(runs["rerun"])
    reloaded, _ = runs["backfill_load"]
    assert reloaded, "the backfill reloaded no comment"
    # some of them were extracted again later, and that later extraction still wins
    tables = [rows for table, rows in runs["backfill"].items() if "__comments_deduplicated" in table]
    winners = {key: row for rows in tables for key, row in rows.items()}
    assert any(winners[key]["_ds"] > DAYS[0] for key in reloaded)


def test_a_build_rewrites_the_reloaded_comments_and_those_they_answer_only(runs):
    after = runs["after_tampering"]
    reloaded, answered = runs["tampering_load"]
    assert reloaded and answered, "the rerun reloaded no comment, or no reply of the account"
    unioned = after["intermediate.int_comments_unioned"]
    rewritten = {key for key, row in unioned.items() if row["like_count"] != -1}
    assert rewritten == reloaded
    fct = after["marts.fct_comments"]
    rebuilt = {key for key, row in fct.items() if row["message"] != TAMPERED}
    full = runs["full_refresh"]["marts.fct_comments"]
    orphans = {key for key, row in full.items() if row["post_permalink_url"] is None}
    assert reloaded | (answered & set(fct)) <= rebuilt <= reloaded | answered | orphans
    assert set(fct) - rebuilt, "every comment was rebuilt: the build is not incremental"
    # what was rebuilt is what a full build gives (the mart reads the unioned likes)
    for key in rebuilt:
        expected = {**full[key], "like_count": unioned[key]["like_count"], "loaded_at": fct[key]["loaded_at"]}
        assert fct[key] == expected, key


def test_a_build_counts_again_the_days_of_the_reloaded_comments_only(runs):
    """The topic-trend counts of the Paris days of the reloaded public comments are
    counted again; the other days keep their (tampered) counts."""
    reloaded, _ = runs["tampering_load"]
    fct = runs["after_tampering"]["marts.fct_comments"]
    days = {fct[key]["created_at"].astimezone(PARIS).date() for key in reloaded if not fct[key]["is_by_account"]}
    counts = runs["after_tampering"]["intermediate.int_topic_trend_observed"]
    full = runs["full_refresh"]["intermediate.int_topic_trend_observed"]
    recounted = {key for key, row in counts.items() if row["comment_count"] != -1}
    assert recounted == {key for key in counts if key[1].astimezone(PARIS).date() in days}
    assert set(counts) - recounted, "every day was counted again: the build is not incremental"
    # as a full build counts them (the likes come from the tampered unioned table)
    ignored = {"_last_loaded_at": None, "comment_like_count": None}
    for key in recounted:
        assert {**counts[key], **ignored} == {**full[key], **ignored}, key
    # the mart is rebuilt whole from the counts: the tampered days show the tampered counts
    trends = runs["after_tampering"]["marts.rpt_topic_trends"]
    assert {trends[key]["comment_count"] for key in set(counts) - recounted} == {-1}


def test_the_topic_bridge_rewrites_the_comments_labelled_since_its_last_build_only(runs):
    """bdg_comment_topics follows the labelling: day after day it gains the new comments
    (test_daily_builds_equal_a_full_refresh); a rerun labels nothing again (same texts,
    same rules), so every tampered row stays as it was."""
    before, after = runs["full_refresh"], runs["after_tampering"]
    newest = max(row["labelled_at"] for row in before[BRIDGE].values())
    relabelled = {key for key, row in after["marts.fct_comments"].items() if row["labelled_at"] > newest}
    rewritten = {key[0] for key, row in after[BRIDGE].items() if row["topic_weight"] != -1}
    assert rewritten == relabelled == set()
    assert set(after[BRIDGE]) == set(before[BRIDGE])
    # every comment has its topics in the bridge, with the weights adding up to 1
    bridge = before[BRIDGE]
    assert {key[0] for key in bridge} == set(before["marts.fct_comments"])
    totals: dict[str, float] = {}
    for (comment_id, _), row in bridge.items():
        totals[comment_id] = totals.get(comment_id, 0.0) + row["topic_weight"]
    assert all(abs(total - 1.0) < 1e-9 for total in totals.values())
