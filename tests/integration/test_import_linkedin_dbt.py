"""LinkedIn Page exports only (no API): import -> load -> `dbt build` of the LinkedIn staging
and intermediate models; the posts and their metrics equal the sandbox truth.

One Page from the xlsx workbook, the other from a French Excel CSV, each with its
`--account`: the staging models read the imported rows exactly as they read the API's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sandbox.exports_linkedin import export
from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.imports.run import import_file
from socialpulse.load import load_landing
from socialpulse.settings import Settings
from tests.conftest import RUN_DS, SANDBOX_TODAY
from tests.integration._dbt_harness import build_platform_models, rows

pytestmark = pytest.mark.integration

SEED = 42
START = RUN_DS - timedelta(days=13)
FILES = {"li_region_main": "xlsx", "li_region_transports": "fr"}
MEDIA_TYPES = {"photo": "image", "video": "video", "link": "article", "text": "none"}


@pytest.fixture
def built(home, tmp_path):
    settings = Settings.from_env()
    cfg = load_accounts(settings.config_file)
    for key, dialect in FILES.items():
        path = tmp_path / (f"{key}.xlsx" if dialect == "xlsx" else f"{key}.csv")
        path.write_bytes(export(SEED, SANDBOX_TODAY, START, RUN_DS, dialect, account=key))
        import_file(settings, cfg, "linkedin", path, RUN_DS, key)
    load_landing(settings.build_db, settings.landing_dir)
    con = build_platform_models(settings, "linkedin", home / "dbt_target")
    yield con
    con.close()


def test_imported_exports_reach_the_intermediate_models_equal_to_truth(built):
    t = truth(seed=SEED, today=SANDBOX_TODAY, start=START, end=RUN_DS, platform="linkedin")
    metrics = {m["post_id"]: m for m in t["post_metrics"] if m["as_of"] == RUN_DS.isoformat()}
    posts = {f"linkedin:{p['post_id']}": p for p in t["posts"]}
    assert len(posts) > 15 and {p["account_id"] for p in posts.values()} == {"10493217", "10493288"}

    snapshots = rows(built, "select * from intermediate.int_linkedin__post_snapshots_pivoted")
    assert {(r["post_id"], r["snapshot_date"]) for r in snapshots} == {(pid, RUN_DS) for pid in posts}
    for row in snapshots:
        p = posts[row["post_id"]]
        m = metrics[p["post_id"]]
        assert row["account_id"] == f"linkedin:{p['account_id']}"
        assert (row["views_organic"], row["reactions"], row["comments"], row["shares"], row["clicks"]) == (
            m["views"] - m["views_paid"],  # the organic row; the sponsored one is not landed
            m["reactions_total"],
            m["comments"],
            m["shares"],
            m["clicks"],
        ), row["post_id"]
        assert (row["views"], row["views_paid"], row["reach"]) == (None, None, None)  # not in the export

    deduplicated = rows(built, "select * from intermediate.int_linkedin__posts_deduplicated")
    assert {r["post_id"] for r in deduplicated} == set(posts)
    for row in deduplicated:
        p = posts[row["post_id"]]
        created = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        assert row["published_at"] == created
        assert row["published_date"] == created.astimezone(ZoneInfo("Europe/Paris")).date()
        assert (row["format"], row["status_type"]) == (p["format"], MEDIA_TYPES[p["format"]])
        assert row["permalink_url"] == p["permalink_url"]

    staged = rows(built, "select * from staging.stg_linkedin__post_statistics")
    assert {r["_source"] for r in staged} == {"csv"} and len(staged) == len(posts)
    for row in staged:
        m = metrics[row["platform_post_id"]]
        organic = m["views"] - m["views_paid"]
        ratio = (m["clicks"] + m["reactions_total"] + m["comments"] + m["shares"]) / organic
        assert row["engagement_ratio"] == pytest.approx(ratio, rel=1e-15)
        assert (row["reach_organic"], row["reactions_like"], row["comments_total"]) == (None, None, None)

    accounts = rows(built, "select account_id, account_key from intermediate.int_linkedin__accounts_deduplicated")
    assert {(r["account_id"], r["account_key"]) for r in accounts} == {
        ("linkedin:10493217", "li_region_main"),
        ("linkedin:10493288", "li_region_transports"),
    }
