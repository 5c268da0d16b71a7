"""X tweet activity exports -> landing: imported exactly as the API lands them, or refused with nothing written."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sandbox import region
from sandbox.exports_x import export as x_export
from sandbox.platforms.x import XPlatform, x_post_metrics
from sandbox.truth import truth
from sandbox.world import World
from socialpulse.config import load_accounts
from socialpulse.connectors.client import RetryPolicy
from socialpulse.extract import extract_account
from socialpulse.imports.reader import ImportFileError
from socialpulse.imports.run import import_file
from socialpulse.landing_schemas import schema_for
from socialpulse.settings import Settings
from tests.conftest import SANDBOX_TODAY

TODAY = SANDBOX_TODAY
AS_OF = TODAY - timedelta(days=1)
START = AS_OF - timedelta(days=9)
MAIN, TRANSPORTS = region.accounts("x")
FIXTURE = Path(__file__).parents[1] / "fixtures/imports/x/tweet_activity_metrics_edited_20261117_20261119_en.csv"

ACCOUNTS_YML = f"""
region: "Région Val-d'Argent"
timezone: Europe/Paris
platforms:
  facebook:
    api_version: v25.0
  x:
    api_version: "2"
    private_metrics: true
    full_archive_search: true
{{usernames}}
accounts:
  - key: region_main
    platform: facebook
    account_id: "112233445566001"
  - key: {MAIN.key}
    platform: x
    account_id: "{MAIN.account_id}"
    name: "{MAIN.name}"
  - key: {TRANSPORTS.key}
    platform: x
    account_id: "{TRANSPORTS.account_id}"
    name: "{TRANSPORTS.name}"
"""
USERNAMES = f"""    usernames:
      {MAIN.key}: {MAIN.username}
      {TRANSPORTS.key}: "@{TRANSPORTS.username}"
"""

METRIC_FIELDS = (
    "user_id",
    "impression_count",
    "non_public_impression_count",
    "organic_impression_count",
    "promoted_impression_count",
    "like_count",
    "reply_count",
    "retweet_count",
    "quote_count",
    "bookmark_count",
    "url_link_clicks",
    "user_profile_clicks",
    "engagements",
    "is_promoted",
    "has_private_metrics",
)


def write_config(tmp_path: Path, monkeypatch, usernames: str = USERNAMES) -> None:
    path = tmp_path / "accounts.yml"
    path.write_text(ACCOUNTS_YML.format(usernames=usernames), encoding="utf-8")
    monkeypatch.setenv("SOCIALPULSE_ACCOUNTS", str(path))


@pytest.fixture
def settings(home, tmp_path, monkeypatch) -> Settings:
    """The usual private home, with the X handles under platforms.x.usernames."""
    write_config(tmp_path, monkeypatch)
    return Settings.from_env()


@pytest.fixture
def cfg(settings):
    return load_accounts(settings.config_file)


def export(tmp_path, name="export.csv", dialect="en", start=START, end=AS_OF) -> Path:
    path = tmp_path / name
    path.write_bytes(x_export(42, TODAY, start, end, dialect))
    return path


def landed(settings, entity, source="csv"):
    suffix = ".csv" if source == "csv" else ""
    rows = []
    for path in sorted(settings.landing_dir.glob(f"platform=x/entity={entity}/ds=*/account=*{suffix}.parquet")):
        if source == "api" and path.name.endswith(".csv.parquet"):
            continue
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def landing_files(settings) -> dict[str, bytes]:
    if not settings.landing_dir.exists():
        return {}
    return {
        str(p.relative_to(settings.landing_dir)): p.read_bytes() for p in settings.landing_dir.rglob("*") if p.is_file()
    }


def metrics(settings, source="csv") -> dict[str, dict]:
    return {r["post_id"]: {f: r[f] for f in METRIC_FIELDS} for r in landed(settings, "post_metrics", source)}


def expected(start=START, end=AS_OF) -> dict[str, dict]:
    """The truth for posts published start..end, as of AS_OF, in landing fields."""
    t = truth(seed=42, today=TODAY, start=start, end=end, platform="x")
    world = World(42)
    posts = {XPlatform.post_id(p): p for a in region.accounts("x") for p in world.posts_between(a, start, end)}
    as_of = {m["post_id"]: m for m in t["post_metrics"] if m["as_of"] == AS_OF.isoformat()}
    out = {}
    for p in t["posts"]:
        m, xm = as_of[p["post_id"]], x_post_metrics(world, posts[p["post_id"]], AS_OF)
        out[p["post_id"]] = {
            "user_id": p["account_id"],
            "impression_count": m["views"],
            "non_public_impression_count": m["views"],
            "organic_impression_count": m["views"] - m["views_paid"],
            "promoted_impression_count": m["views_paid"] if p["is_sponsored"] else None,
            "like_count": m["reactions_total"],
            "reply_count": m["comments"],
            "retweet_count": xm.retweets,
            "quote_count": None,  # not in the export: unknown, never 0
            "bookmark_count": None,
            "url_link_clicks": m["clicks"],
            "user_profile_clicks": xm.user_profile_clicks,
            "engagements": xm.engagements,
            "is_promoted": p["is_sponsored"],
            "has_private_metrics": True,
        }
    return out


def test_export_imports_exactly_the_truth(settings, cfg, tmp_path):
    result = import_file(settings, cfg, "x", export(tmp_path), AS_OF)
    want = expected()
    assert set(result.landed) == {MAIN.key, TRANSPORTS.key}
    assert any(m["is_promoted"] for m in want.values()), "the window should hold a promoted post"
    assert metrics(settings) == want

    t = truth(seed=42, today=TODAY, start=START, end=AS_OF, platform="x")
    posts = {r["post_id"]: r for r in landed(settings, "posts")}
    assert {
        pid: (r["user_id"], r["created_at"].strftime("%Y-%m-%dT%H:%M:%SZ"), r["permalink_url"])
        for pid, r in posts.items()
    } == {p["post_id"]: (p["account_id"], p["created_at"], p["permalink_url"]) for p in t["posts"]}
    assert all(posts[p["post_id"]]["text"] == p["message"] for p in t["posts"] if p["message"])
    assert all(r["lang"] is None and r["media_type"] is None and r["link_url"] is None for r in posts.values())
    lineage = landed(settings, "posts") + landed(settings, "post_metrics")
    assert all(r["_source"] == "csv" and r["_ds"] == AS_OF for r in lineage)


def test_imported_rows_are_what_the_api_lands(home, tmp_path, monkeypatch, sandbox):
    """Same window through the API connector and through the export: equal but for what the export lacks."""
    write_config(tmp_path, monkeypatch)
    monkeypatch.setenv("SOCIALPULSE_X_TOKEN", "sandbox-token")
    settings = Settings.from_env()
    cfg = load_accounts(settings.config_file)
    fast = RetryPolicy(backoff_base=0.05, backoff_max=0.5, pace_max_delay=0.05)
    for account in cfg.for_platform("x"):
        extract_account(settings, cfg, account, AS_OF, days=10, run_id="api", policy=fast)
    import_file(settings, cfg, "x", export(tmp_path), AS_OF)

    lacking = {"quote_count", "bookmark_count", "conversation_id", "lang", "media_type", "link_url", "fetched_at"}
    for entity in ("posts", "post_metrics"):
        api = {r["post_id"]: r for r in landed(settings, entity, source="api")}
        csv = {r["post_id"]: r for r in landed(settings, entity, source="csv")}
        assert set(csv) == set(api) and len(csv) > 40
        fields = set(schema_for("x", entity).names)
        compared = {f for f in fields if not f.startswith("_")} - lacking
        diffs = [
            (pid, f, api[pid][f], csv[pid][f]) for pid in api for f in sorted(compared) if api[pid][f] != csv[pid][f]
        ]
        assert diffs == []
        assert all(csv[pid][f] is None for pid in csv for f in (lacking & fields) - {"fetched_at"})


def test_french_excel_file_imports_the_same(settings, cfg, tmp_path):
    fr = export(tmp_path, "export_fr.csv", dialect="fr")
    raw = fr.read_bytes()
    assert raw[:3] != b"\xef\xbb\xbf" and b";" in raw.splitlines()[0]
    assert b";0,0" in raw and b"\xa0" in raw  # decimal commas, cp1252 non-breaking spaces
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    import_file(settings, cfg, "x", fr, AS_OF)
    assert metrics(settings) == expected()


def test_utf8_bom_is_skipped(settings, cfg, tmp_path):
    en = export(tmp_path)
    assert en.read_bytes()[:3] == b"\xef\xbb\xbf"
    text = (
        "\ufeffTweet id,Tweet permalink,Tweet text,time,impressions,retweets,replies,likes\n"
        f"2123348080719030185,https://x.com/{TRANSPORTS.username}/status/2123348080719030185,"
        "Fermeture de la gare d'Écluse-Haute : « travaux »,2026-11-19 09:30 +0000,1500,3,2,30\n"
    )
    path = tmp_path / "bom.csv"
    path.write_bytes(text.encode("utf-8"))
    import_file(settings, cfg, "x", path, AS_OF)
    (post,) = landed(settings, "posts")
    assert post["text"] == "Fermeture de la gare d'Écluse-Haute : « travaux »"
    assert metrics(settings)["2123348080719030185"]["impression_count"] == 1500


def test_hand_edited_export_with_newlines_extra_columns_and_promotion(settings, cfg):
    """A real-layout file (all 40 columns, quoted floats) plus a user's "Notes" column."""
    import_file(settings, cfg, "x", FIXTURE, AS_OF)
    posts = {r["post_id"]: r for r in landed(settings, "posts")}
    works = posts["2122596151063650803"]
    assert works["text"] == (
        "Travaux sur la ligne TER Port-Sainte-Claire ↔ Belcastel-en-Val\n\n"
        'Cars de substitution du 17 au 21 novembre : "horaires adaptés" https://t.co/AbCdEf1234'
    )
    assert works["created_at"].isoformat() == "2026-11-17T07:42:13+00:00"  # seconds from the snowflake id
    assert works["user_id"] == TRANSPORTS.account_id
    # the handle is matched case-insensitively and written as configured, on x.com
    assert (
        posts["2123348080719030185"]["permalink_url"]
        == f"https://x.com/{TRANSPORTS.username}/status/2123348080719030185"
    )

    got = metrics(settings)
    assert got["2122596151063650803"] == {
        "user_id": TRANSPORTS.account_id,
        "impression_count": 4210,
        "non_public_impression_count": 4210,
        "organic_impression_count": 4210,
        "promoted_impression_count": None,
        "like_count": 61,
        "reply_count": 9,
        "retweet_count": 12,
        "quote_count": None,
        "bookmark_count": None,
        "url_link_clicks": 83,
        "user_profile_clicks": 7,
        "engagements": 187,
        "is_promoted": False,
        "has_private_metrics": True,
    }
    promoted = got["2123085269824510978"]
    assert promoted["user_id"] == MAIN.account_id
    views = (promoted["impression_count"], promoted["organic_impression_count"], promoted["promoted_impression_count"])
    assert views == (14000, 8800, 5200)
    assert (promoted["like_count"], promoted["reply_count"], promoted["retweet_count"]) == (220, 6, 26)
    assert (promoted["url_link_clicks"], promoted["user_profile_clicks"], promoted["engagements"]) == (60, 13, 420)
    assert promoted["is_promoted"] is True
    row = next(r for r in landed(settings, "post_metrics") if r["post_id"] == "2123085269824510978")
    assert (row["promoted_like_count"], row["organic_like_count"]) == (70, 150)


def test_without_promoted_columns_the_paid_split_is_unknown(settings, cfg, tmp_path):
    path = tmp_path / "trimmed.csv"
    path.write_text(
        "Tweet id;Tweet permalink;time;impressions;engagements;engagement rate;retweets;replies;likes;url clicks\n"
        f"2123348080719030185;https://twitter.com/{TRANSPORTS.username}/status/2123348080719030185;"
        "2026-11-19 09:30 +0000;1\u00a0500;41;0,0273;3;2;30;0\n",
        encoding="cp1252",
    )
    import_file(settings, cfg, "x", path, AS_OF)
    m = metrics(settings)["2123348080719030185"]
    assert (m["impression_count"], m["like_count"], m["engagements"], m["url_link_clicks"]) == (1500, 30, 41, 0)
    assert m["user_profile_clicks"] is None  # column absent: unknown
    assert (m["has_private_metrics"], m["is_promoted"], m["organic_impression_count"]) == (False, None, None)


def test_overlapping_exports_never_duplicate(settings, cfg, tmp_path):
    first = export(tmp_path, "a.csv", start=START, end=START + timedelta(days=6))
    second = export(tmp_path, "b.csv", start=START + timedelta(days=3), end=AS_OF)
    import_file(settings, cfg, "x", first, AS_OF)
    import_file(settings, cfg, "x", second, AS_OF)
    for entity in ("posts", "post_metrics"):
        ids = [r["post_id"] for r in landed(settings, entity)]
        assert len(ids) == len(set(ids)) == len(expected())
    assert metrics(settings) == expected()


def test_the_same_file_twice_lands_the_same_rows(settings, cfg, tmp_path):
    path = export(tmp_path)

    def snapshot():
        files = sorted(settings.landing_dir.rglob("*.parquet"))
        rows = {
            str(p.relative_to(settings.landing_dir)): [
                {k: v for k, v in r.items() if k != "_extracted_at"} for r in pq.read_table(p).to_pylist()
            ]
            for p in files
        }
        return rows

    import_file(settings, cfg, "x", path, AS_OF)
    once = snapshot()
    import_file(settings, cfg, "x", path, AS_OF)
    assert snapshot() == once
    assert sum(len(rows) for rows in once.values()) == 2 * len(expected())


# -- refusals --------------------------------------------------------------------------------

GOOD = {
    "Tweet id": "2123348080719030185",
    "Tweet permalink": f"https://twitter.com/{TRANSPORTS.username}/status/2123348080719030185",
    "time": "2026-11-19 09:30 +0000",
    "impressions": "1500",
    "retweets": "3",
    "replies": "2",
    "likes": "30",
}


def hand_file(tmp_path, drop: str | None = None, **values: str) -> Path:
    """bad.csv: the GOOD row with `values` (by header) changed and the `drop` column left out."""
    row = {c: v for c, v in {**GOOD, **values}.items() if c != drop}
    path = tmp_path / "bad.csv"
    path.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def already_landed(settings, cfg):
    """A landing zone holding a first import, to check that refusals leave it byte for byte."""
    import_file(settings, cfg, "x", FIXTURE, AS_OF)
    before = landing_files(settings)
    assert before
    yield
    assert landing_files(settings) == before


@pytest.mark.parametrize("column", list(GOOD))
def test_a_missing_required_column_is_refused(settings, cfg, tmp_path, already_landed, column):
    with pytest.raises(
        ImportFileError, match=rf"bad\.csv, row 1, column '{column}': required column '{column}' is missing"
    ):
        import_file(settings, cfg, "x", hand_file(tmp_path, drop=column), AS_OF)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"Tweet permalink": "https://twitter.com/SomeoneElse/status/2123348080719030185"},
            r"bad\.csv, row 2, column 'Tweet permalink': @SomeoneElse is not an X account of config/accounts\.yml",
        ),
        (
            {"Tweet permalink": "https://example.org/status/2123348080719030185"},
            r"row 2, column 'Tweet permalink': .* is not a post permalink",
        ),
        ({"Tweet id": "2.12335E+18"}, r"row 2, column 'Tweet id': '2\.12335E\+18' is not a post id"),
        (
            {"Tweet id": "2123348080719030000"},
            r"row 2, column 'Tweet id': 2123348080719030000 is not the id in the permalink",
        ),
        ({"time": "2026-11-19 10:30 +0000"}, r"row 2, column 'time': .* is not the time the Tweet id says"),
        ({"likes": "12x"}, r"row 2, column 'likes': '12x' is not a number"),
        ({"likes": "-4"}, r"row 2, column 'likes': '-4' is negative"),
        ({"retweets": ""}, r"row 2, column 'retweets': no value in a required column"),
    ],
    ids=["unknown-username", "not-a-permalink", "rounded-id", "id-not-permalink", "time-not-id", "nan", "neg", "blank"],
)
def test_bad_rows_are_refused(settings, cfg, tmp_path, already_landed, values, message):
    with pytest.raises(ImportFileError, match=message):
        import_file(settings, cfg, "x", hand_file(tmp_path, **values), AS_OF)


def test_a_post_after_the_export_date_is_refused(settings, cfg, tmp_path, already_landed):
    with pytest.raises(ImportFileError, match=r"row 2, column 'time': published 2026-11-19, after the export date"):
        import_file(settings, cfg, "x", hand_file(tmp_path), AS_OF - timedelta(days=1))


def test_account_option_accepts_only_that_accounts_rows(settings, cfg, tmp_path, already_landed):
    with pytest.raises(ImportFileError, match=r"row \d+, column 'Tweet permalink': @RegionValdArgent is account"):
        import_file(settings, cfg, "x", FIXTURE, AS_OF, account=TRANSPORTS.key)
    with pytest.raises(ImportFileError, match=r"'region_main' is not an X account"):
        import_file(settings, cfg, "x", hand_file(tmp_path), AS_OF, account="region_main")


def test_account_option_imports_a_single_account_file(settings, cfg, tmp_path):
    path = tmp_path / "one.csv"
    path.write_bytes(x_export(42, TODAY, START, AS_OF, "en", account=TRANSPORTS.username))
    result = import_file(settings, cfg, "x", path, AS_OF, account=TRANSPORTS.key)
    assert set(result.landed) == {TRANSPORTS.key}
    assert metrics(settings) == {k: v for k, v in expected().items() if v["user_id"] == TRANSPORTS.account_id}


def test_without_configured_handles_the_message_says_where_to_add_them(home, tmp_path, monkeypatch):
    write_config(tmp_path, monkeypatch, usernames="")
    settings = Settings.from_env()
    cfg = load_accounts(settings.config_file)
    with pytest.raises(
        ImportFileError, match=r"row 2, column 'Tweet permalink': .*platforms\.x\.usernames knows: none"
    ):
        import_file(settings, cfg, "x", hand_file(tmp_path), AS_OF)
    assert landing_files(settings) == {}
