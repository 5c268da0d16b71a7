"""Meta Business Suite Instagram exports -> landing: imported exactly, or refused with nothing written."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sandbox import region
from sandbox.exports_instagram import export as instagram_export
from sandbox.platforms import PLATFORMS
from sandbox.platforms import instagram as ig
from sandbox.truth import truth
from sandbox.world import World
from socialpulse.config import load_accounts
from socialpulse.imports.reader import ImportFileError
from socialpulse.imports.run import import_file

TODAY = date(2026, 11, 20)
AS_OF = TODAY - timedelta(days=1)
START = AS_OF - timedelta(days=9)
FIXTURES = Path(__file__).parents[1] / "fixtures" / "imports" / "instagram"
MAIN, JEUNESSE = "17841400000110001", "17841400000110002"
METRICS = ("views", "reach", "likes", "comments", "shares", "saved", "follows")


@pytest.fixture
def cfg(settings):
    return load_accounts(settings.config_file)


def export(tmp_path, name="content.csv", dialect="en", start=START, end=AS_OF):
    path = tmp_path / name
    path.write_bytes(instagram_export(42, TODAY, start, end, dialect))
    return path


def landed(settings, entity):
    rows = []
    for path in sorted(settings.landing_dir.glob(f"platform=instagram/entity={entity}/ds=*/account=*.csv.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def insights(settings):
    """media id -> {metric: value} as landed."""
    out: dict[str, dict] = {}
    for r in landed(settings, "media_insights"):
        assert r["period"] == "lifetime"
        out.setdefault(r["media_id"], {})[r["metric"]] = r["value"]
    return out


def expected_metrics():
    """media id -> {metric: value}: the sandbox truth as of AS_OF, with the API's metric names."""
    t = truth(seed=42, today=TODAY, start=START, end=AS_OF, platform="instagram")
    by_post = {m["post_id"]: m for m in t["post_metrics"] if m["as_of"] == AS_OF.isoformat()}
    world = World(42)
    follows = {
        PLATFORMS["instagram"].post_id(post): ig.media_extras(world, post, AS_OF)["follows"]
        for account in region.accounts("instagram")
        for post in world.posts_between(account, START, AS_OF)
    }
    out = {}
    for p in t["posts"]:
        m = by_post[p["post_id"]]
        out[p["post_id"]] = {
            "views": m["views"],
            "reach": m["viewers"],
            "likes": m["reactions_total"],
            "comments": m["comments"],
            "shares": m["shares"],
            "saved": m["clicks"],
            "follows": follows[p["post_id"]],
        }
    return out


def expected_media():
    """media id -> (ig user id, caption, UTC timestamp, permalink, media_type, media_product_type)."""
    world = World(42)
    out = {}
    for account in region.accounts("instagram"):
        for post in world.posts_between(account, START, AS_OF):
            out[PLATFORMS["instagram"].post_id(post)] = (
                account.account_id,
                post.message,
                post.created_at.replace(second=0, microsecond=0),  # the export shows minutes
                PLATFORMS["instagram"].post_permalink(post),
                ig.media_type(post),
                ig.media_product_type(post),
            )
    return out


def media_as_landed(settings):
    return {
        r["media_id"]: (
            r["ig_user_id"],
            r["caption"],
            r["timestamp"],
            r["permalink"],
            r["media_type"],
            r["media_product_type"],
        )
        for r in landed(settings, "media")
    }


# -- the sandbox's exports -------------------------------------------------------------------


def test_english_export_imports_exactly_the_truth(settings, cfg, tmp_path):
    path = export(tmp_path)
    result = import_file(settings, cfg, "instagram", path, AS_OF)
    assert set(result.landed) == {"ig_region_main", "ig_region_jeunesse"}
    want = expected_metrics()
    assert len(want) > 10 and insights(settings) == want
    assert media_as_landed(settings) == expected_media()
    media = landed(settings, "media")
    assert {(r["media_id"], r["like_count"], r["comments_count"]) for r in media} == {
        (k, v["likes"], v["comments"]) for k, v in want.items()
    }
    every = media + landed(settings, "media_insights")
    assert all(r["_source"] == "csv" and r["_ds"] == AS_OF for r in every)
    assert {r["_account_key"] for r in media if r["ig_user_id"] == MAIN} == {"ig_region_main"}
    assert {r["_account_key"] for r in media if r["ig_user_id"] == JEUNESSE} == {"ig_region_jeunesse"}


def test_english_export_starts_with_a_bom_and_keeps_utf8_text(settings, cfg, tmp_path):
    path = export(tmp_path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfPost ID,Account ID,")
    import_file(settings, cfg, "instagram", path, AS_OF)
    captions = {r["caption"] for r in landed(settings, "media")}
    assert any("é" in c for c in captions) and any(ord(ch) > 0xFFFF for c in captions for ch in c)  # emoji kept


def test_french_excel_export_imports_the_same(settings, cfg, tmp_path):
    path = export(tmp_path, "contenu.csv", dialect="fr")
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and raw.splitlines()[0].startswith(b"Identifiant de la publication;")
    assert "\u00a0".encode("cp1252") in raw  # thousands written the French way
    import_file(settings, cfg, "instagram", path, AS_OF)
    assert insights(settings) == expected_metrics()
    # day-first dates read as such: every timestamp is the truth's (a month-first read would move or refuse them)
    got = {k: v[2] for k, v in media_as_landed(settings).items()}
    assert got == {k: v[2] for k, v in expected_media().items()}


def test_overlapping_exports_never_duplicate(settings, cfg, tmp_path):
    first = export(tmp_path, "a.csv", start=START, end=START + timedelta(days=6))
    second = export(tmp_path, "b.csv", start=START + timedelta(days=3), end=AS_OF)
    import_file(settings, cfg, "instagram", first, AS_OF)
    import_file(settings, cfg, "instagram", second, AS_OF)
    ids = [r["media_id"] for r in landed(settings, "media")]
    keys = [(r["media_id"], r["metric"]) for r in landed(settings, "media_insights")]
    assert len(ids) == len(set(ids)) and len(keys) == len(set(keys))
    assert insights(settings) == expected_metrics()


def test_same_file_twice_gives_the_same_landing(settings, cfg, tmp_path):
    path = export(tmp_path)
    import_file(settings, cfg, "instagram", path, AS_OF)

    def snapshot():
        files = sorted(p.relative_to(settings.landing_dir) for p in settings.landing_dir.rglob("*.parquet"))
        # _extracted_at is the import's wall-clock time (run.py): the only column allowed to move
        rows = {
            entity: sorted(
                (
                    tuple(sorted((k, str(v)) for k, v in r.items() if k != "_extracted_at"))
                    for r in landed(settings, entity)
                ),
            )
            for entity in ("media", "media_insights")
        }
        return files, rows

    before = snapshot()
    import_file(settings, cfg, "instagram", path, AS_OF)
    assert snapshot() == before
    assert len(before[0]) == 4  # 2 accounts x (media, media_insights)


# -- hand-written files ----------------------------------------------------------------------


def test_semicolons_with_decimal_commas_and_nbsp_thousands(settings, cfg):
    """French Excel: cp1252, `;`, day-first dates, '1 234' / '1 000,0' / '1.234' counts and an extra
    decimal column ('8,32') that must not shift or break anything."""
    path = FIXTURES / "content_fr_excel_decimal_comma.csv"
    assert b";" in path.read_bytes().splitlines()[0] and b"8,32" in path.read_bytes()
    import_file(settings, cfg, "instagram", path, AS_OF)
    assert insights(settings) == {
        "17900000000000001": {"views": 1234, "reach": 1000, "likes": 87, "comments": 4, "shares": 2, "saved": 11},
        "17900000000000002": {
            "views": 12_345_678,
            "reach": 987,
            "likes": 1234,
            "comments": 0,  # a written 0 stays 0
            "shares": None,  # blank cells: unknown, never 0
            "saved": None,
        },
    }
    media = {r["media_id"]: r for r in landed(settings, "media")}
    assert media["17900000000000001"]["timestamp"].isoformat() == "2026-11-18T08:30:00+00:00"  # 18/11 09:30 Paris
    assert media["17900000000000002"]["timestamp"].isoformat() == "2026-11-05T17:05:00+00:00"  # 5 Nov, not 11 May
    assert media["17900000000000002"]["caption"] == "Élections régionales : où voter ?"
    assert (media["17900000000000001"]["media_type"], media["17900000000000001"]["media_product_type"]) == (
        "CAROUSEL_ALBUM",
        "FEED",
    )
    assert media["17900000000000002"]["_account_key"] == "ig_region_jeunesse"


def test_quoted_newline_extra_columns_and_missing_metrics(settings, cfg):
    path = FIXTURES / "content_en_quoted_newline_extra_columns.csv"
    import_file(settings, cfg, "instagram", path, AS_OF)
    media = {r["media_id"]: r for r in landed(settings, "media")}
    assert set(media) == {"17900000000000003", "17900000000000004"}
    reel, story = media["17900000000000003"], media["17900000000000004"]
    assert reel["caption"] == "Ligne 1\nLigne 2, « travaux »"
    assert (reel["media_type"], reel["media_product_type"], reel["like_count"]) == ("VIDEO", "REELS", 56)
    assert reel["timestamp"].isoformat() == "2026-11-18T08:30:00+00:00"
    assert (story["media_type"], story["media_product_type"], story["like_count"]) == (None, "STORY", None)
    assert story["caption"] == "🎉 Pass Jeunes"
    got = insights(settings)
    assert got["17900000000000003"] == {
        "views": 1234,
        "reach": 900,
        "likes": 56,
        "shares": 3,
        "follows": 1,
        "comments": 7,
        "saved": 12,
    }
    assert got["17900000000000004"] == {
        "views": 345,
        "reach": 300,
        **dict.fromkeys(("likes", "shares", "follows", "comments", "saved")),
    }


def write(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "hand.csv"
    path.write_bytes(text.encode(encoding))
    return path


HEADER = "Post ID,Account ID,Publish time,Permalink,Post type,Views,Reach,Likes,Comments,Shares\n"
ROW = "17900000000000009,17841400000110001,11/18/2026 09:30,https://www.instagram.com/p/X/,IG image,10,9,8,7,6\n"


def without(column: str) -> str:
    """HEADER and two good rows, minus one column."""
    names = HEADER.strip().split(",")
    i = names.index(column)
    rows = [HEADER, ROW, ROW.replace("17900000000000009", "17900000000000010")]
    return "".join(",".join(v for j, v in enumerate(r.strip().split(",")) if j != i) + "\n" for r in rows)


def test_a_later_export_of_the_same_day_replaces_values_without_duplicating(settings, cfg, tmp_path):
    """The same post in two files of one --as-of: one row per media and metric, the file imported last wins."""
    first = write(tmp_path, HEADER + ROW)
    import_file(settings, cfg, "instagram", first, AS_OF)
    second = tmp_path / "later.csv"
    second.write_text(HEADER + ROW.replace(",10,9,8,7,6", ",15,11,9,8,7").replace("/p/X/", "/p/Y/"))
    import_file(settings, cfg, "instagram", second, AS_OF)
    (media,) = landed(settings, "media")
    assert (media["permalink"], media["like_count"], media["_run_id"]) == (
        "https://www.instagram.com/p/Y/",
        9,
        "import__later.csv",
    )
    assert insights(settings) == {
        "17900000000000009": {"views": 15, "reach": 11, "likes": 9, "comments": 8, "shares": 7},
    }
    assert len(landed(settings, "media_insights")) == 5


def test_columns_the_export_lacks_land_no_rows(settings, cfg, tmp_path):
    """No Saves / Follows columns: no `saved` / `follows` rows (NULL downstream), not zeros."""
    import_file(settings, cfg, "instagram", write(tmp_path, HEADER + ROW), AS_OF)
    assert insights(settings) == {
        "17900000000000009": {"views": 10, "reach": 9, "likes": 8, "comments": 7, "shares": 6},
    }


def test_older_export_with_impressions_keeps_them_apart_from_views(settings, cfg, tmp_path):
    text = HEADER.replace("Views", "Impressions").replace("Shares", "Shares,Plays") + ROW.replace("6\n", "6,44\n")
    import_file(settings, cfg, "instagram", write(tmp_path, text), AS_OF)
    assert insights(settings)["17900000000000009"] == {
        "impressions": 10,
        "reach": 9,
        "likes": 8,
        "comments": 7,
        "shares": 6,
        "plays": 44,
    }


@pytest.mark.parametrize(
    ("word", "types"),
    [
        ("IG image", ("IMAGE", "FEED")),
        ("Photo", ("IMAGE", "FEED")),
        ("IG carousel", ("CAROUSEL_ALBUM", "FEED")),
        ("Carrousel IG", ("CAROUSEL_ALBUM", "FEED")),
        ("IG reel", ("VIDEO", "REELS")),
        ("Reels", ("VIDEO", "REELS")),
        ("Vidéo IG", ("VIDEO", "FEED")),
        ("IG story", (None, "STORY")),
        ("", (None, None)),
    ],
)
def test_post_type_gives_media_type_and_product_type(settings, cfg, tmp_path, word, types):
    import_file(settings, cfg, "instagram", write(tmp_path, HEADER + ROW.replace("IG image", word)), AS_OF)
    (media,) = landed(settings, "media")
    assert (media["media_type"], media["media_product_type"]) == types


def test_account_option_names_the_account_of_rows_without_an_id(settings, cfg, tmp_path):
    header = HEADER.replace("Account ID", "Account username")
    text = header + ROW.replace("17841400000110001", "valdargent.jeunesse")
    import_file(settings, cfg, "instagram", write(tmp_path, text), AS_OF, account="ig_region_jeunesse")
    (media,) = landed(settings, "media")
    assert (media["ig_user_id"], media["_account_key"]) == (JEUNESSE, "ig_region_jeunesse")


def test_account_option_accepts_only_that_accounts_rows(settings, cfg, tmp_path):
    import_file(settings, cfg, "instagram", write(tmp_path, HEADER + ROW), AS_OF, account="ig_region_main")
    assert {r["_account_key"] for r in landed(settings, "media")} == {"ig_region_main"}


@pytest.mark.parametrize(
    ("text", "account", "message"),
    [
        (
            without("Reach"),
            None,
            r"hand\.csv, row 1, column 'Reach': required column 'Reach' is missing",
        ),
        (
            without("Views"),
            None,
            r"hand\.csv, row 1, column 'Views': required column 'Views' is missing",
        ),
        (
            without("Account ID"),
            None,
            r"hand\.csv, row 1, column 'Account ID': required column 'Account ID' is missing: .*--account",
        ),
        (
            HEADER + ROW.replace("17841400000110001", "17841499999999999"),
            None,
            r"hand\.csv, row 2, column 'Account ID': Account ID '17841499999999999' is not an instagram account",
        ),
        (
            HEADER + ROW.replace("17841400000110001", "112233445566001"),  # a Facebook Page of the config
            None,
            r"row 2, column 'Account ID': Account ID '112233445566001' is not an instagram account",
        ),
        (
            HEADER + ROW.replace("17841400000110001", JEUNESSE),
            "ig_region_main",
            r"row 2, column 'Account ID': .*'ig_region_jeunesse', not --account 'ig_region_main'",
        ),
        (
            HEADER + ROW,
            "region_main",
            r"hand\.csv: --account 'region_main' is not an instagram account",
        ),
        (
            HEADER.replace("Account ID", "Account username")
            + ROW.replace("17841400000110001", "regionvaldargent")
            + ROW.replace("17841400000110001", "valdargent.jeunesse"),
            "ig_region_main",
            r"row 3, column 'Account username': 'valdargent\.jeunesse' after 'regionvaldargent'",
        ),
        (HEADER + ROW.replace(",10,", ",12x,"), None, r"hand\.csv, row 2, column 'Views': '12x' is not a number"),
        (HEADER + ROW.replace(",9,", ",-9,"), None, r"row 2, column 'Reach': '-9' is negative"),
        (HEADER + ROW.replace("IG image", "IG hologram"), None, r"row 2, column 'Post type': unknown post type"),
        (
            HEADER + ROW.replace("17900000000000009", "1790000000_0009"),
            None,
            r"row 2, column 'Post ID': '1790000000_0009' is not an Instagram media id",
        ),
        (
            HEADER + ROW.replace("11/18/2026", "11/20/2026"),
            None,
            r"row 2, column 'Publish time': published 2026-11-20, after the export date 2026-11-19",
        ),
        ("", None, r"hand\.csv: the file is empty"),
    ],
    ids=[
        "missing-reach",
        "missing-views",
        "missing-account-id",
        "unknown-account",
        "facebook-page",
        "other-account",
        "account-option-not-instagram",
        "two-usernames-one-account",
        "bad-number",
        "negative",
        "unknown-post-type",
        "bad-media-id",
        "after-export-date",
        "empty",
    ],
)
def test_bad_files_are_refused_with_nothing_written(settings, cfg, tmp_path, text, account, message):
    good = ROW.replace("17900000000000009", "17900000000000010")
    body = text + (good if text.count("\n") == 2 else "")  # header and one row: add a good row
    with pytest.raises(ImportFileError, match=message):
        import_file(settings, cfg, "instagram", write(tmp_path, body), AS_OF, account=account)
    assert not settings.landing_dir.exists() or not any(settings.landing_dir.rglob("*.parquet"))


def test_a_refused_file_leaves_earlier_imports_untouched(settings, cfg, tmp_path):
    path = export(tmp_path)
    import_file(settings, cfg, "instagram", path, AS_OF)
    before = {p: p.read_bytes() for p in settings.landing_dir.rglob("*.parquet")}
    bad = write(tmp_path, HEADER + ROW + ROW.replace(",10,", ",x,"))
    with pytest.raises(ImportFileError, match="row 3, column 'Views'"):
        import_file(settings, cfg, "instagram", bad, AS_OF)
    assert {p: p.read_bytes() for p in settings.landing_dir.rglob("*.parquet")} == before
