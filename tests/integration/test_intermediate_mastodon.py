"""Mastodon intermediate models reconciled with the sandbox truth: sandbox -> landing -> raw -> dbt."""

from __future__ import annotations

import pytest

from sandbox import region
from sandbox.platforms.mastodon import status_counts, status_id
from sandbox.truth import truth
from sandbox.world import World
from tests.conftest import RUN_DS, SANDBOX_TODAY
from tests.integration._snapshot_platforms import (
    FIRST_POST_DAY,
    build,
    check_account_daily,
    check_accounts,
    check_posts,
    engagements,
    snapshots,
)

pytestmark = pytest.mark.integration
PLATFORM = "mastodon"


@pytest.fixture
def con(home, monkeypatch, tmp_path):
    connection = build(PLATFORM, monkeypatch, tmp_path)
    yield connection
    connection.close()


def test_mastodon_intermediate_models_reconcile_with_truth(con):
    t = truth(seed=42, today=SANDBOX_TODAY, start=FIRST_POST_DAY, end=RUN_DS, platform=PLATFORM)

    check_accounts(con, PLATFORM, region.accounts(PLATFORM))
    check_account_daily(con, PLATFORM, t["account_daily"])
    posts = check_posts(con, PLATFORM, t["posts"])

    world = World(42)
    world_posts = {
        f"mastodon:{status_id(post)}": post
        for account in region.accounts(PLATFORM)
        for post in world.posts_between(account, FIRST_POST_DAY, RUN_DS)
    }
    assert set(world_posts) == set(posts)
    metrics = {(f"mastodon:{m['post_id']}", m["as_of"]): m for m in t["post_metrics"]}
    for (post_id, ds), s in snapshots(con, PLATFORM, posts).items():
        counts = status_counts(world, world_posts[post_id], ds)  # what the status showed on ds + 1
        # Mastodon serves no views, reach or clicks: NULL, never 0
        assert (s["views"], s["views_paid"], s["views_organic"], s["reach"], s["clicks"]) == (None,) * 5
        m = metrics[(post_id, ds.isoformat())]
        assert s["reactions"] == counts["favourites_count"] == m["reactions_total"]
        assert s["shares"] == counts["reblogs_count"] == m["shares"]
        assert s["comments"] == counts["descendants"]
        assert engagements(s) == counts["favourites_count"] + counts["reblogs_count"] + counts["descendants"]
