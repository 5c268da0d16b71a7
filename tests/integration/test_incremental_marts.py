"""The marts that grow daily are incremental by date, and a full refresh gives the same result.

Day after day, as the build DAG does it: a private sandbox whose "today" is the day after
the run, one account per platform extracted (2-day window: the day and the one before),
loaded, then `dbt build` of fct_account_daily and fct_post_snapshots and all they read (data
and unit tests in the last day's build only: the other integration tests run them all).
Then the same day again, a build after tampering with old rows, and `--full-refresh`.

`reprocess_days` is 1 here (7 in production), so that three days of history already hold
days outside the window; it still covers the extraction's lookback (1 day), as the
production value covers the production lookback (3 days).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest

from socialpulse.settings import Settings
from tests.integration._incremental_harness import ACCOUNTS, DAYS, build, extract_and_load, private_home

pytestmark = pytest.mark.integration

REPROCESS_DAYS = 1
FACTS = {"fct_account_daily": "report_date", "fct_post_snapshots": "snapshot_date"}
SELECT = [f"+{fact}" for fact in FACTS]
TAMPERED = 10**9
TAMPERED_COLUMN = {"fct_account_daily": "followers", "fct_post_snapshots": "reactions"}


def build_facts(settings: Settings, *extra: str, tests: bool = False) -> None:
    """`dbt build` of the facts and all they read, with this test's reprocess window."""
    build(settings, SELECT, "--vars", f"{{reprocess_days: {REPROCESS_DAYS}}}", *extra, tests=tests)


def facts(settings: Settings) -> dict[str, list[dict]]:
    """Every row of each fact, as dicts in a stable order."""
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        tables = {}
        for table in FACTS:
            cursor = con.execute(f"select * from marts.{table}")
            names = [d[0] for d in cursor.description]
            tables[table] = [dict(zip(names, r, strict=True)) for r in sorted(cursor.fetchall(), key=repr)]
        return tables
    finally:
        con.close()


def tamper(settings: Settings, days: dict[str, date]) -> None:
    """Make each fact wrong on a day (`TAMPERED`), as no build that reread the day would leave it."""
    con = duckdb.connect(str(settings.build_db))
    try:
        for table, day in days.items():
            column = TAMPERED_COLUMN[table]
            con.execute(f"update marts.{table} set {column} = {TAMPERED} where {FACTS[table]} = ?", [day])
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("incremental") / "data"
    states: dict = {}
    with pytest.MonkeyPatch.context() as mp:
        private_home(mp, home)
        for ds in DAYS:
            settings = extract_and_load(mp, ds)
            # the last one with the data tests: grain unique, keys, on the incremental tables
            build_facts(settings, tests=ds == DAYS[-1])
        states["incremental"] = facts(settings)
        # the last day again: extracted, loaded and built a second time
        build_facts(extract_and_load(mp, DAYS[-1]))
        states["rerun"] = facts(settings)
        # each fact wrong on its oldest day (before the window) and on the last day (in
        # it); then the daily build
        states["oldest"] = {t: min(r[c] for r in states["incremental"][t]) for t, c in FACTS.items()}
        tamper(settings, states["oldest"])
        tamper(settings, dict.fromkeys(FACTS, DAYS[-1]))
        build_facts(settings)
        states["after_tampering"] = facts(settings)
        build_facts(settings, "--full-refresh")
        states["full_refresh"] = facts(settings)
    return states


def test_daily_incremental_builds_equal_a_full_refresh(runs):
    incremental, full = runs["incremental"], runs["full_refresh"]
    # every platform, every day (X, Bluesky, Mastodon: the run days only)
    daily = incremental["fct_account_daily"]
    assert {r["platform"] for r in daily} == set(ACCOUNTS)
    assert {r["report_date"] for r in daily} == {DAYS[0] - timedelta(days=1), *DAYS}
    assert {r["snapshot_date"] for r in incremental["fct_post_snapshots"]} == set(DAYS)
    # follower growth compares with the day before, built by the previous run
    assert {r["platform"] for r in daily if r["follower_growth"] is not None} == set(ACCOUNTS)
    for table in FACTS:
        assert len(incremental[table]) == len(full[table]) > 0, table
        assert incremental[table] == full[table], table


def test_building_the_same_day_again_changes_nothing(runs):
    assert runs["rerun"] == runs["incremental"]


def test_a_daily_build_rewrites_the_reprocess_window_only(runs):
    """Rows before the window are not reread (the build costs the window, not the history)."""
    before, after = runs["incremental"], runs["after_tampering"]
    for table, date_column in FACTS.items():
        oldest = runs["oldest"][table]
        assert oldest < DAYS[-1] - timedelta(days=REPROCESS_DAYS), table
        old = [r for r in after[table] if r[date_column] == oldest]
        # the tampered day before the window stays as it was left
        assert old and all(r[TAMPERED_COLUMN[table]] == TAMPERED for r in old), table
        # the tampered day inside the window is rebuilt from the source, like every other
        rest = [r for r in after[table] if r[date_column] != oldest]
        assert rest == [r for r in before[table] if r[date_column] != oldest], table
