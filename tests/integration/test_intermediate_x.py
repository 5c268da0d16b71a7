"""X intermediate models reconciled with the sandbox truth: sandbox -> landing -> raw -> dbt."""

from __future__ import annotations

import pytest

from sandbox import region
from sandbox.truth import truth
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
PLATFORM = "x"


@pytest.fixture
def con(home, monkeypatch, tmp_path):
    connection = build(PLATFORM, monkeypatch, tmp_path)
    yield connection
    connection.close()


def test_x_intermediate_models_reconcile_with_truth(con):
    t = truth(seed=42, today=SANDBOX_TODAY, start=FIRST_POST_DAY, end=RUN_DS, platform=PLATFORM)

    check_accounts(con, PLATFORM, region.accounts(PLATFORM))
    check_account_daily(con, PLATFORM, t["account_daily"])
    posts = check_posts(con, PLATFORM, t["posts"])

    metrics = {(f"x:{m['post_id']}", m["as_of"]): m for m in t["post_metrics"]}
    snaps = snapshots(con, PLATFORM, posts)
    for (post_id, ds), s in snaps.items():
        m = metrics[(post_id, ds.isoformat())]
        assert s["views"] == m["views"]
        assert s["views_paid"] == m["views_paid"]
        assert s["views_organic"] == m["views"] - m["views_paid"]
        assert s["reach"] is None  # X serves no unique reach
        assert (s["reactions"], s["comments"], s["shares"], s["clicks"]) == (
            m["reactions_total"],
            m["comments"],
            m["shares"],
            m["clicks"],
        )
        assert engagements(s) == m["reactions_total"] + m["comments"] + m["shares"] + m["clicks"]
