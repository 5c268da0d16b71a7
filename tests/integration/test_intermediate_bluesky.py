"""Bluesky intermediate models reconciled with the sandbox truth: sandbox -> landing -> raw -> dbt."""

from __future__ import annotations

import pytest

from sandbox import region
from sandbox.platforms.bluesky import post_counts, post_uri
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
PLATFORM = "bluesky"


@pytest.fixture
def con(home, monkeypatch, tmp_path):
    connection = build(PLATFORM, monkeypatch, tmp_path)
    yield connection
    connection.close()


def test_bluesky_intermediate_models_reconcile_with_truth(con):
    t = truth(seed=42, today=SANDBOX_TODAY, start=FIRST_POST_DAY, end=RUN_DS, platform=PLATFORM)

    check_accounts(con, PLATFORM, region.accounts(PLATFORM))
    check_account_daily(con, PLATFORM, t["account_daily"])
    posts = check_posts(con, PLATFORM, t["posts"])

    world = World(42)
    world_posts = {
        f"bluesky:{post_uri(post)}": post
        for account in region.accounts(PLATFORM)
        for post in world.posts_between(account, FIRST_POST_DAY, RUN_DS)
    }
    assert set(world_posts) == set(posts)
    metrics = {(f"bluesky:{m['post_id']}", m["as_of"]): m for m in t["post_metrics"]}
    for (post_id, ds), s in snapshots(con, PLATFORM, posts).items():
        counts = post_counts(world, world_posts[post_id], ds)  # what the feed served on ds + 1
        # Bluesky serves no views, reach or clicks: NULL, never 0
        assert (s["views"], s["views_paid"], s["views_organic"], s["reach"], s["clicks"]) == (None,) * 5
        assert s["reactions"] == counts["likeCount"] == metrics[(post_id, ds.isoformat())]["reactions_total"]
        assert s["shares"] == counts["repostCount"] + counts["quoteCount"]
        assert s["shares"] == metrics[(post_id, ds.isoformat())]["shares"]
        assert s["comments"] == counts["threadReplies"]
        assert (
            engagements(s)
            == counts["likeCount"] + counts["repostCount"] + counts["quoteCount"] + counts["threadReplies"]
        )
