"""Topics end to end: the taxonomy meets its target on the sandbox's intended topics, and
the warehouse's bridge is `socialpulse.topics` itself (the UDF), not a copy of its rules.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import httpx
import pytest
from typer.testing import CliRunner

from sandbox.cli import app as sandbox_app
from sandbox.region import TOPICS
from sandbox.truth import truth
from socialpulse.cli import app
from socialpulse.config import load_accounts
from socialpulse.connectors.client import RetryPolicy
from socialpulse.extract import extract_account
from socialpulse.load import load_landing
from socialpulse.settings import REPO_ROOT, Settings
from socialpulse.topics import load_taxonomy
from tests.conftest import RUN_DS, SANDBOX_TODAY

pytestmark = pytest.mark.integration
DBT = str(Path(sys.executable).parent / "dbt")
SEED = REPO_ROOT / "dbt_project" / "seeds" / "topic_taxonomy.csv"
DAYS = 10


def test_the_sandbox_posts_meet_the_target_on_every_topic(tmp_path):
    """`labelled-posts` then `topics evaluate`: precision >= 0.90 and recall >= 0.85 on every topic."""
    labelled = tmp_path / "labelled.csv"
    written = CliRunner().invoke(
        sandbox_app, ["labelled-posts", "--out", str(labelled), "--start", "2026-05-01", "--end", "2026-11-19"]
    )
    assert written.exit_code == 0, written.output
    result = CliRunner().invoke(app, ["topics", "evaluate", "--input", str(labelled), "--json"])
    assert result.exit_code == 0, result.output
    scores = {s["topic"]: s for s in json.loads(result.stdout)["topics"]}
    assert set(TOPICS) <= set(scores)
    for topic in TOPICS:
        s = scores[topic]
        assert s["support"] >= 50, s
        assert s["precision"] >= 0.90 and s["recall"] >= 0.85, s


def dbt(settings: Settings, *args: str, taxonomy: Path | None = None, db: Path | None = None):
    """Run dbt on the settings' build database (or `db`), with the seed taxonomy (or `taxonomy`)."""
    env = {**os.environ, **settings.dbt_env()}
    env.pop("SOCIALPULSE_TOPIC_TAXONOMY", None)
    if taxonomy is not None:
        env["SOCIALPULSE_TOPIC_TAXONOMY"] = str(taxonomy)
    if db is not None:
        env["SOCIALPULSE_BUILD_DB"] = str(db)
    return subprocess.run(
        [DBT, *args, "--project-dir", "dbt_project", "--profiles-dir", "dbt_project"]
        + ["--target-path", str(settings.home / "dbt_target")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def bridge(db: Path) -> set[tuple[str, str]]:
    return set(query(db, "select post_id, topic from marts.bdg_post_topics"))


def classified(db: Path, taxonomy_path: Path) -> set[tuple[str, str]]:
    """What `socialpulse.topics` says of dim_posts' texts, computed here in Python."""
    taxonomy = load_taxonomy(taxonomy_path)
    posts = query(db, "select post_id, message from marts.dim_posts")
    return {(post_id, topic) for post_id, message in posts for topic in taxonomy.classify(message)}


@pytest.fixture(scope="module")
def built(sandbox_url, tmp_path_factory):
    """Facebook's last DAYS days extracted, loaded and built once, up to the topic marts."""
    httpx.delete(f"{sandbox_url}/__sandbox__/faults")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOCIALPULSE_HOME", str(tmp_path_factory.mktemp("topics") / "data"))
        env.delenv("SOCIALPULSE_BUILD_DB", raising=False)
        env.delenv("SOCIALPULSE_SERVING_DB", raising=False)
        env.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
        env.setenv("SOCIALPULSE_SANDBOX_URL", sandbox_url)
        env.setenv("SOCIALPULSE_FACEBOOK_TOKEN", "sandbox-token")
        settings = Settings.from_env()
        cfg = load_accounts(settings.config_file)
        for acc in cfg.for_platform("facebook"):
            policy = RetryPolicy(backoff_base=0.05)
            extract_account(settings, cfg, acc, RUN_DS, days=DAYS, run_id="topics", policy=policy)
        load_landing(settings.build_db, settings.landing_dir)
    # the topic marts, everything upstream, and the tests and unit tests of exactly those
    selection = ["--select", "+bdg_post_topics", "+dim_topics", "--indirect-selection", "cautious"]
    proc = dbt(settings, "build", *selection)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "ERROR=0" in proc.stdout
    return settings


def test_the_bridge_is_the_python_classification_of_the_same_texts(built):
    db = built.build_db
    rows = bridge(db)
    assert rows == classified(db, SEED)
    posts = {r[0] for r in query(db, "select post_id from marts.dim_posts")}
    assert {post_id for post_id, _ in rows} == posts and len(posts) > 30
    assert {r[0] for r in query(db, "select topic from marts.dim_topics")} == set(TOPICS) | {"autre"}
    weights = query(db, "select post_id, sum(topic_weight) from marts.bdg_post_topics group by post_id")
    assert all(abs(total - 1.0) < 1e-9 for _, total in weights)
    # and the warehouse finds the world's intended topic of (nearly) every post
    t = truth(seed=42, today=SANDBOX_TODAY, start=RUN_DS - timedelta(days=DAYS - 1), end=RUN_DS, platform="facebook")
    intended = {f"facebook:{p['post_id']}": p["topic"] for p in t["posts"] if p["message"]}
    found = sum((post_id, topic) in rows for post_id, topic in intended.items())
    assert found >= 0.95 * len(intended) and len(intended) > 30


def test_an_edited_taxonomy_changes_the_bridge_through_the_same_function(built, tmp_path):
    """SOCIALPULSE_TOPIC_TAXONOMY -> the UDF reads the edit: no transports left, `gare` now culture."""
    db = tmp_path / "build_copy.duckdb"
    shutil.copyfile(built.build_db, db)
    before = bridge(db)
    assert any(topic == "transports" for _, topic in before)
    rows = list(csv.DictReader(SEED.open(encoding="utf-8")))
    for row in rows:
        if row["topic"] == "transports":
            row["keywords"] = "monorail suspendu"
        if row["topic"] == "culture":
            row["keywords"] += "|gare"
    edited = tmp_path / "edited_taxonomy.csv"
    with edited.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["topic", "label", "keywords"])
        writer.writeheader()
        writer.writerows(rows)

    # int_post_topics classifies each post once: the edit (a new labelling_version)
    # makes the next build classify every post again
    selection = ("--select", "int_post_topics", "bdg_post_topics")
    proc = dbt(built, "run", *selection, taxonomy=edited, db=db)
    assert proc.returncode == 0, proc.stdout[-4000:]
    after = bridge(db)
    assert after == classified(db, edited) != before
    assert not any(topic == "transports" for _, topic in after)
    assert any(topic == "culture" and (post_id, "transports") in before for post_id, topic in after)

    # the same rules again: nothing to classify, every row stays as it was
    stamps = "select post_id, classified_at, labelling_version from intermediate.int_post_topics order by 1"
    classified_once = query(db, stamps)
    proc = dbt(built, "run", *selection, taxonomy=edited, db=db)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert query(db, stamps) == classified_once and len(classified_once) == len({p for p, _ in after})
    assert bridge(db) == after


def test_an_invalid_taxonomy_stops_dbt_naming_line_and_column(settings, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text("topic,label,keywords\ntransports,Transports,TER|gare\nculture,Culture,musée||concert\n")
    proc = dbt(settings, "run", "--select", "bdg_post_topics", taxonomy=broken)
    assert proc.returncode != 0
    assert f"{broken}, line 3, column 'keywords': empty keyword" in proc.stdout
