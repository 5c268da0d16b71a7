"""A Meta Business Suite Instagram export, with no API at all, through dbt.

`socialpulse import` of the sandbox's French-Excel export -> `socialpulse.load` -> `dbt build`
of the Instagram staging and intermediate models: the unchanged models read the CSV rows
(`_source = csv`) and their post metrics equal the sandbox's truth.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sandbox import region
from sandbox.exports_instagram import export
from sandbox.platforms import PLATFORMS
from sandbox.platforms import instagram as ig
from sandbox.truth import truth
from sandbox.world import World
from socialpulse.config import load_accounts
from socialpulse.imports.run import import_file
from socialpulse.load import load_landing
from tests.conftest import RUN_DS, SANDBOX_TODAY
from tests.integration._dbt_harness import build_platform_models, rows

pytestmark = pytest.mark.integration

SEED = 42
START = RUN_DS - timedelta(days=6)
NULL_POST = ("views_paid", "views_organic", "clicks")


@pytest.fixture
def built(settings, home, tmp_path):
    path = tmp_path / "contenu.csv"
    path.write_bytes(export(SEED, SANDBOX_TODAY, START, RUN_DS, "fr"))
    import_file(settings, load_accounts(settings.config_file), "instagram", path, RUN_DS)
    load_landing(settings.build_db, settings.landing_dir)
    con = build_platform_models(settings, "instagram", home / "dbt_target")
    yield con
    con.close()


def test_an_instagram_export_reaches_the_intermediate_models(built):
    t = truth(seed=SEED, today=SANDBOX_TODAY, start=START, end=RUN_DS, platform="instagram")
    metrics = {m["post_id"]: m for m in t["post_metrics"] if m["as_of"] == RUN_DS.isoformat()}
    want = {
        f"instagram:{p['post_id']}": (
            RUN_DS,
            metrics[p["post_id"]]["views"],
            metrics[p["post_id"]]["viewers"],
            metrics[p["post_id"]]["reactions_total"],
            metrics[p["post_id"]]["comments"],
            metrics[p["post_id"]]["shares"],
        )
        for p in t["posts"]
    }
    snapshots = rows(built, "select * from intermediate.int_instagram__post_snapshots_pivoted")
    got = {
        r["post_id"]: (r["snapshot_date"], r["views"], r["reach"], r["reactions"], r["comments"], r["shares"])
        for r in snapshots
    }
    assert len(got) == len(snapshots) and len(want) > 10
    assert got == want
    assert all(r[c] is None for r in snapshots for c in NULL_POST)  # not in the export: NULL, never 0

    world = World(SEED)
    want_posts = {
        f"instagram:{PLATFORMS['instagram'].post_id(post)}": (
            f"instagram:{account.account_id}",
            post.created_at.replace(second=0, microsecond=0),
            ig.media_type(post),
            {"reel": "reel", "photo": "photo"}.get(post.format, "video"),
            PLATFORMS["instagram"].post_permalink(post),
        )
        for account in region.accounts("instagram")
        for post in world.posts_between(account, START, RUN_DS)
    }
    posts = rows(built, "select * from intermediate.int_instagram__posts_deduplicated")
    assert {
        r["post_id"]: (r["account_id"], r["published_at"], r["status_type"], r["format"], r["permalink_url"])
        for r in posts
    } == want_posts

    accounts = rows(built, "select * from intermediate.int_instagram__accounts_deduplicated")
    assert {(r["account_id"], r["account_key"]) for r in accounts} == {
        (f"instagram:{a.account_id}", a.key) for a in region.accounts("instagram")
    }
    # the export has no account-level series: no daily rows rather than rows of NULLs or zeros
    assert rows(built, "select * from intermediate.int_instagram__account_daily_pivoted") == []
    sources = rows(built, "select distinct _source from staging.stg_instagram__media_insights")
    assert sources == [{"_source": "csv"}]
