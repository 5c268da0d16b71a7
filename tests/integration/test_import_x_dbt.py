"""CSV only (no API): `socialpulse import` of an X tweet activity export -> `socialpulse load` -> dbt
staging.x and int_x__* -> the intermediate post snapshots equal the sandbox truth."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from sandbox import region
from sandbox.exports_x import export
from sandbox.truth import truth
from socialpulse.cli import app
from socialpulse.settings import Settings
from tests.conftest import RUN_DS
from tests.integration._dbt_harness import build_platform_models, rows

pytestmark = pytest.mark.integration
TODAY = RUN_DS + timedelta(days=1)
START = RUN_DS - timedelta(days=6)


def accounts_yml() -> str:
    """Only the X accounts, with the handles the import maps permalinks through."""
    lines = ['region: "Région Val-d\'Argent"', "timezone: Europe/Paris", "platforms:", "  x:", "    usernames:"]
    lines += [f"      {a.key}: {a.username}" for a in region.accounts("x")]
    lines += ["accounts:"]
    for a in region.accounts("x"):
        lines += [f"  - key: {a.key}", "    platform: x", f'    account_id: "{a.account_id}"', f'    name: "{a.name}"']
    return "\n".join(lines) + "\n"


@pytest.fixture
def con(home, tmp_path, monkeypatch):
    config = tmp_path / "accounts.yml"
    config.write_text(accounts_yml(), encoding="utf-8")
    monkeypatch.setenv("SOCIALPULSE_ACCOUNTS", str(config))
    csv = tmp_path / "tweet_activity_metrics.csv"
    csv.write_bytes(export(42, TODAY, START, RUN_DS, "fr"))

    runner = CliRunner()
    imported = runner.invoke(app, ["import", "--platform", "x", "--file", str(csv), "--as-of", RUN_DS.isoformat()])
    assert imported.exit_code == 0, imported.output
    loaded = runner.invoke(app, ["load"])
    assert loaded.exit_code == 0, loaded.output
    connection = build_platform_models(Settings.from_env(), "x", tmp_path / "dbt_target")
    yield connection
    connection.close()


def test_a_tweet_activity_export_reaches_the_intermediate_models(con):
    t = truth(seed=42, today=TODAY, start=START, end=RUN_DS, platform="x")
    metrics = {f"x:{m['post_id']}": m for m in t["post_metrics"] if m["as_of"] == RUN_DS.isoformat()}
    posts = {f"x:{p['post_id']}": p for p in t["posts"]}
    assert len(posts) > 20

    snaps = {s["post_id"]: s for s in rows(con, "select * from intermediate.int_x__post_snapshots_pivoted")}
    assert set(snaps) == set(posts)
    for post_id, s in snaps.items():
        m = metrics[post_id]
        assert s["snapshot_date"] == RUN_DS
        views = (m["views"], m["views_paid"], m["views"] - m["views_paid"])
        assert (s["views"], s["views_paid"], s["views_organic"]) == views
        assert (s["reactions"], s["comments"], s["clicks"]) == (m["reactions_total"], m["comments"], m["clicks"])
        # the export has no quote count: shares (reposts + quotes) is unknown, NULL not a guess; X has no reach
        assert (s["shares"], s["reach"]) == (None, None)

    deduplicated = rows(con, "select * from intermediate.int_x__posts_deduplicated")
    got = {p["post_id"]: (p["published_at"].strftime("%Y-%m-%dT%H:%M:%SZ"), p["permalink_url"]) for p in deduplicated}
    assert got == {post_id: (p["created_at"], p["permalink_url"]) for post_id, p in posts.items()}
    # the export names no media or link: the format is unknown ('other'), not 'text'
    assert {p["format"] for p in deduplicated} == {"other"}
    staged = rows(con, "select distinct _source, quotes, bookmarks, is_paid from staging.stg_x__post_metrics")
    assert {(r["_source"], r["quotes"], r["bookmarks"]) for r in staged} == {("csv", None, None)}
    assert {r["is_paid"] for r in staged} == {True, False}
