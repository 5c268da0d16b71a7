"""Write-audit-publish through Airflow: each kind of bad data stops the build DAG loudly.

Three weeks of Facebook history are extracted from the sandbox (one in-thread sandbox
per day, "today" the day after) and built and published by the real build DAG
(`airflow dags test`). The next day is extracted but not built. Each test then
restores that state, corrupts one real landing partition of the new day the way a
platform would, runs the build DAG on it, and checks the three promises of the gate:
the run fails with a message naming suite, expectation, partition and offending rows;
the serving database is byte for byte the previous one; the offending rows are in
the build database's `audit` schema.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from sandbox.server import serve_in_thread
from socialpulse.config import load_accounts
from socialpulse.connectors.client import RetryPolicy
from socialpulse.extract import extract_account
from socialpulse.runner import PipelineFailed, dag_test, ensure_airflow, ensure_manifest, pipeline_env
from socialpulse.settings import Settings

pytestmark = pytest.mark.integration

FAST = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)
BUILT = date(2026, 11, 18)  # the last day of history, built and published
HISTORY_DAYS = 21  # the volume check judges a Thursday once 3 previous Thursdays exist
NEW = BUILT + timedelta(days=1)  # extracted, not built: what each test corrupts
PLATFORM = "facebook"


def _extract(ds: date) -> None:
    handle = serve_in_thread(port=0, seed=42, today=ds + timedelta(days=1), quiet=True)
    try:
        os.environ["SOCIALPULSE_SANDBOX_URL"] = handle.url
        settings = Settings.from_env()
        cfg = load_accounts(settings.config_file)
        for account in cfg.for_platform(PLATFORM):
            extract_account(settings, cfg, account, ds, run_id=f"gate-{ds}", policy=FAST)
    finally:
        handle.stop()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    root = tmp_path_factory.mktemp("gate")
    names = ("SOCIALPULSE_HOME", "SOCIALPULSE_PSEUDONYM_KEY", "SOCIALPULSE_SANDBOX_URL", "SOCIALPULSE_FACEBOOK_TOKEN")
    old = {k: os.environ.get(k) for k in names}
    os.environ["SOCIALPULSE_HOME"] = str(root / "data")
    os.environ["SOCIALPULSE_PSEUDONYM_KEY"] = "gate-pseudonym-key"
    os.environ["SOCIALPULSE_FACEBOOK_TOKEN"] = "sandbox-token"
    settings = Settings.from_env()
    try:
        for n in range(HISTORY_DAYS):
            _extract(BUILT - timedelta(days=HISTORY_DAYS - 1 - n))
        env = pipeline_env(settings, os.environ["SOCIALPULSE_SANDBOX_URL"])
        ensure_manifest(env)
        ensure_airflow(env)
        dag_test("socialpulse_build", BUILT, env, settings)
        _extract(NEW)
        pristine = root / "pristine"
        shutil.copytree(settings.landing_dir, pristine / "landing")
        shutil.copy2(settings.build_db, pristine / "build.duckdb")
        yield {"settings": settings, "env": env, "pristine": pristine, "serving": _digest(settings.serving_db)}
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _restore(gate) -> Settings:
    settings = gate["settings"]
    shutil.rmtree(settings.landing_dir)
    shutil.copytree(gate["pristine"] / "landing", settings.landing_dir)
    shutil.copy2(gate["pristine"] / "build.duckdb", settings.build_db)
    assert _digest(settings.serving_db) == gate["serving"], "a previous test published"
    return settings


def _partition(settings: Settings, entity: str, account: str = "region_main") -> Path:
    return settings.landing_dir / f"platform={PLATFORM}/entity={entity}/ds={NEW.isoformat()}/account={account}.parquet"


def _rewrite(path: Path, change: Callable[[pa.Table], pa.Table]) -> None:
    table = change(pq.read_table(path))
    pq.write_table(table, path)


def _set(table: pa.Table, column: str, row: int, value) -> pa.Table:
    values = table.column(column).to_pylist()
    values[row] = value
    index = table.schema.get_field_index(column)
    return table.set_column(index, table.schema.field(index), pa.array(values, table.schema.field(index).type))


def _all_partitions(settings: Settings, entity: str) -> list[Path]:
    return sorted(
        (settings.landing_dir / f"platform={PLATFORM}/entity={entity}/ds={NEW.isoformat()}").glob("*.parquet")
    )


def _failed_build(gate) -> str:
    settings = gate["settings"]
    with pytest.raises(PipelineFailed) as failed:
        dag_test("socialpulse_build", NEW, gate["env"], settings)
    log = (settings.home / "airflow" / "runs" / f"socialpulse_build__{NEW.isoformat()}.log").read_text()
    assert "ended failed" in str(failed.value)
    assert _digest(settings.serving_db) == gate["serving"], "the serving database is the previous one, byte for byte"
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        assert con.execute("select ds from marts._published").fetchone()[0] == BUILT
    return log


def _audit_rows(settings: Settings, table: str) -> list[dict]:
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        return con.sql(f"select * from {table}").df().to_dict("records")


def _keep_posts(settings: Settings, choose: Callable[[list[str]], list[str]]) -> None:
    """Each page's posts edge of the new day returns only the posts `choose` keeps, and
    so do the insights and comments read through it."""
    for path in _all_partitions(settings, "posts"):
        kept = pa.array(choose(sorted(pq.read_table(path)["post_id"].to_pylist())), pa.string())
        for entity in ("posts", "post_insights", "comments"):
            _rewrite(
                _partition(settings, entity, path.name.removeprefix("account=").removesuffix(".parquet")),
                lambda t, kept=kept: t.filter(pc.is_in(t["post_id"], kept)),
            )


def test_negative_counter(gate):
    settings = _restore(gate)
    _rewrite(_partition(settings, "posts"), lambda t: _set(t, "shares_count", 0, -3))
    log = _failed_build(gate)
    assert "suite raw.facebook__posts" in log
    assert "expect_column_values_to_be_between(column='shares_count'" in log
    assert f"ds={NEW.isoformat()}" in log and "'shares_count': -3" in log
    rows = _audit_rows(settings, "audit.raw__facebook__posts")
    assert [r["shares_count"] for r in rows] == [-3]
    assert rows[0]["_account_key"] == "region_main" and str(rows[0]["_ds"])[:10] == NEW.isoformat()


def test_duplicate_post_id(gate):
    settings = _restore(gate)
    _rewrite(_partition(settings, "posts"), lambda t: pa.concat_tables([t, t.slice(0, 1)]))
    log = _failed_build(gate)
    assert "suite raw.facebook__posts" in log and "expect_compound_columns_to_be_unique" in log
    rows = _audit_rows(settings, "audit.raw__facebook__posts")
    assert len(rows) == 2 and rows[0]["post_id"] == rows[1]["post_id"], "both copies of the duplicate"


def test_missing_account_day(gate):
    settings = _restore(gate)
    _partition(settings, "page_insights", "region_transports").unlink()
    log = _failed_build(gate)
    assert "suite checks.account_day_coverage" in log
    assert "'account_key': 'region_transports'" in log and "'entity': 'page_insights'" in log
    assert "its extraction was skipped or failed" in log
    rows = _audit_rows(settings, "audit.checks__account_day_coverage")
    assert [(r["account_key"], r["entity"], r["present"]) for r in rows] == [
        ("region_transports", "page_insights", False)
    ]


def test_column_renamed_in_the_api_response(gate):
    settings = _restore(gate)
    _rewrite(
        _partition(settings, "posts"),
        lambda t: t.rename_columns(["shares" if c == "shares_count" else c for c in t.column_names]),
    )
    log = _failed_build(gate)
    assert (
        "columns differ from the facebook/posts landing schema (missing ['shares_count'], unexpected ['shares'])" in log
    )
    rows = _audit_rows(settings, "audit.raw__facebook__posts")
    assert rows and all("shares" in r and "shares_count" not in r for r in rows)
    assert {r["_landing_file"] for r in rows} == {
        f"landing/{_partition(settings, 'posts').relative_to(settings.landing_dir).as_posix()}"
    }


def test_decreasing_lifetime_counter(gate):
    settings = _restore(gate)
    landed = _partition(settings, "post_insights").as_posix()
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        # a post snapshotted on the built day and read again on the new one
        post, views, organic, reach = con.execute(
            "select split_part(s.post_id, ':', 2), s.views, s.views_organic, s.reach "
            "from marts.fct_post_snapshots as s "
            f"join read_parquet('{landed}') as new on s.post_id = 'facebook:' || new.post_id "
            "where s.snapshot_date = ? and new.metric = 'post_media_view' and new.breakdown = '' and s.views > 1000 "
            "order by s.views desc limit 1",
            [BUILT],
        ).fetchone()
    drop = views // 20  # 5 %: far beyond the tolerance max(5, 1 %), and views stay >= reach

    def lower(t: pa.Table) -> pa.Table:
        """The post's lifetime views, total and organic, below the day before's (reach kept
        at the day before's, so that views >= reach still holds)."""
        wanted = {
            ("post_media_view", ""): views - drop,
            ("post_media_view", "false"): organic - drop,
            ("post_total_media_view_unique", ""): reach,
        }
        rows = t.to_pylist()
        hits = [
            (i, wanted[(r["metric"], r["breakdown_value"])])
            for i, r in enumerate(rows)
            if r["post_id"] == post and (r["metric"], r["breakdown_value"]) in wanted
        ]
        assert len(hits) == 3, hits
        for i, value in hits:
            t = _set(t, "value", i, value)
        return t

    _rewrite(_partition(settings, "post_insights"), lower)
    log = _failed_build(gate)
    assert "suite checks.post_counter_deltas" in log and "went down since the post's previous snapshot" in log
    rows = _audit_rows(settings, "audit.checks__post_counter_deltas")
    assert [(r["post_id"], r["counter"], r["previous_value"], r["value"]) for r in rows] == [
        (f"facebook:{post}", "views", views, views - drop)
    ]


def test_metric_gone_null(gate):
    settings = _restore(gate)
    for path in _all_partitions(settings, "post_insights"):
        _rewrite(path, lambda t: t.filter(pc.not_equal(t["metric"], "post_clicks")))
    log = _failed_build(gate)
    assert "suite checks.metric_population" in log and "the signature of an API deprecation" in log
    rows = _audit_rows(settings, "audit.checks__metric_population")
    assert {(r["mart"], r["platform"], r["metric"]) for r in rows} == {("fct_post_snapshots", "facebook", "clicks")}


def test_volume_collapse(gate):
    """The posts edge returns one post per page instead of all of them (and so do the
    insights and comments read through it)."""
    settings = _restore(gate)
    _keep_posts(settings, lambda posts: posts[:1])
    log = _failed_build(gate)
    assert "suite checks.mart_volume" in log and "volume collapse" in log
    rows = _audit_rows(settings, "audit.checks__mart_volume")
    assert [(r["mart"], r["platform"]) for r in rows if r["_audit_severity"] == "critical"] == [
        ("fct_post_snapshots", "facebook")
    ]
    (collapsed,) = [r for r in rows if r["_audit_severity"] == "critical"]
    assert collapsed["volume_ratio"] < 0.5 and collapsed["baseline_days"] == 3, "the three previous Thursdays"
    assert collapsed["baseline_median"] - collapsed["row_count"] > collapsed["noise_rows"]


def _add_older_posts(settings: Settings) -> int:
    """Each page's posts edge of the new day also returns the page's older posts (as if it
    stopped honouring `since`), with their insights as last read: a volume surge. Returns
    how many posts were added."""
    added = 0
    for path in _all_partitions(settings, "posts"):
        account = path.name.removeprefix("account=").removesuffix(".parquet")
        new = {e: pq.read_table(_partition(settings, e, account)) for e in ("posts", "post_insights")}
        lineage = {c: new["posts"][c][0] for c in ("fetched_at", "_ds", "_run_id", "_extracted_at")}
        seen = set(new["posts"]["post_id"].to_pylist())
        older = {e: [] for e in new}
        for ds_dir in sorted((settings.landing_dir / f"platform={PLATFORM}/entity=posts").glob("ds=*"), reverse=True):
            posts = pq.read_table(ds_dir / path.name)
            ids = pa.array(sorted(set(posts["post_id"].to_pylist()) - seen), pa.string())
            if not len(ids):
                continue
            seen.update(ids.to_pylist())
            insights = pq.read_table(
                settings.landing_dir / f"platform={PLATFORM}/entity=post_insights/{ds_dir.name}/{path.name}"
            )
            older["posts"].append(posts.filter(pc.is_in(posts["post_id"], ids)))
            older["post_insights"].append(insights.filter(pc.is_in(insights["post_id"], ids)))
        for entity, tables in older.items():
            table = pa.concat_tables(tables)
            for column, value in lineage.items():
                index = table.schema.get_field_index(column)
                table = table.set_column(
                    index, table.schema.field(index), pa.array([value.as_py()] * len(table), value.type)
                )
            pq.write_table(pa.concat_tables([new[entity], table]), _partition(settings, entity, account))
        added += sum(len(t) for t in older["posts"])
    return added


def test_a_clean_day_publishes_with_docs_and_warnings_do_not_block(gate):
    """The new day's posts edge also returns each page's older posts: a volume surge
    warning (ratio above 3: reported, in the audit schema) that publishes."""
    settings = _restore(gate)
    assert _add_older_posts(settings) > 60
    dag_test("socialpulse_build", NEW, gate["env"], settings)
    log = (settings.home / "airflow" / "runs" / f"socialpulse_build__{NEW.isoformat()}.log").read_text()
    assert _digest(settings.serving_db) != gate["serving"]
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        assert con.execute("select ds from marts._published").fetchone()[0] == NEW
    assert "Data audit warnings" in log and "volume surge" in log
    warnings = _audit_rows(settings, "audit.failures")
    assert {(w["suite"], w["severity"]) for w in warnings} == {("checks.mart_volume", "warning")}
    (surge,) = _audit_rows(settings, "audit.checks__mart_volume")
    assert (surge["mart"], surge["platform"], surge["_audit_severity"]) == ("fct_post_snapshots", "facebook", "warning")
    assert surge["volume_ratio"] > 3 and surge["baseline_days"] == 3
    for index in ("gx/raw/index.html", "gx/marts/index.html", "dbt/static_index.html"):
        assert (settings.docs_dir / index).is_file(), index
    assert f"GX Data Docs of this audit: {settings.docs_dir / 'gx' / 'marts' / 'index.html'}" in log
