"""Meta Business Suite exports -> landing: imported exactly, or refused with nothing written."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow.parquet as pq
import pytest

from sandbox.exports import facebook_content_export
from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.imports.reader import ImportFileError
from socialpulse.imports.run import import_file

TODAY = date(2026, 11, 20)
AS_OF = TODAY - timedelta(days=1)
START = AS_OF - timedelta(days=9)


@pytest.fixture
def cfg(settings):
    return load_accounts(settings.config_file)


def export(tmp_path, name="export.csv", dialect="en", start=START, end=AS_OF):
    path = tmp_path / name
    path.write_bytes(facebook_content_export(42, TODAY, start, end, dialect))
    return path


def landed(settings, entity):
    rows = []
    for path in sorted(settings.landing_dir.glob(f"platform=facebook/entity={entity}/ds=*/account=*.csv.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def lifetime(settings):
    """post id -> (views, reach, reactions, comments, shares, clicks) as landed."""
    metrics = {}
    for r in landed(settings, "post_insights"):
        if not r["breakdown"]:
            metrics.setdefault(r["post_id"], {})[r["metric"]] = r["value"]
    posts = {r["post_id"]: r for r in landed(settings, "posts")}
    return {
        pid: (
            m["post_media_view"],
            m["post_total_media_view_unique"],
            m["post_reactions_total"],
            posts[pid]["comments_total_count"],
            posts[pid]["shares_count"],
            m["post_clicks"],
        )
        for pid, m in metrics.items()
    }


def expected():
    t = truth(seed=42, today=TODAY, start=START, end=AS_OF)
    metrics = {(m["post_id"], m["as_of"]): m for m in t["post_metrics"]}
    out = {}
    for p in t["posts"]:
        if p["platform"] != "facebook":
            continue
        m = metrics[(p["post_id"], AS_OF.isoformat())]
        out[p["post_id"]] = (m["views"], m["viewers"], m["reactions_total"], m["comments"], m["shares"], m["clicks"])
    return out


def test_export_imports_exactly_the_truth(settings, cfg, tmp_path):
    result = import_file(settings, cfg, "facebook", export(tmp_path), AS_OF)
    assert set(result.landed) == {"region_main", "region_transports", "region_jeunesse"}
    assert lifetime(settings) == expected()
    assert all(r["_source"] == "csv" and r["_ds"] == AS_OF for r in landed(settings, "posts"))


def test_french_excel_file_imports_the_same(settings, cfg, tmp_path):
    fr = export(tmp_path, "export_fr.csv", dialect="fr")
    assert fr.read_bytes()[:3] != b"\xef\xbb\xbf" and b";" in fr.read_bytes().splitlines()[0]
    import_file(settings, cfg, "facebook", fr, AS_OF)
    assert lifetime(settings) == expected()
    created = {r["post_id"]: r["created_time"] for r in landed(settings, "posts")}
    t = truth(seed=42, today=TODAY, start=START, end=AS_OF)
    assert {p["post_id"]: p["created_at"][:16] for p in t["posts"] if p["platform"] == "facebook"} == {
        k: v.strftime("%Y-%m-%dT%H:%M") for k, v in created.items()
    }


def test_overlapping_exports_and_reimports_never_duplicate(settings, cfg, tmp_path):
    first = export(tmp_path, "a.csv", start=START, end=START + timedelta(days=6))
    second = export(tmp_path, "b.csv", start=START + timedelta(days=3), end=AS_OF)
    import_file(settings, cfg, "facebook", first, AS_OF)
    import_file(settings, cfg, "facebook", second, AS_OF)
    import_file(settings, cfg, "facebook", second, AS_OF)
    ids = [r["post_id"] for r in landed(settings, "posts")]
    assert len(ids) == len(set(ids))
    assert lifetime(settings) == expected()


def test_importing_the_same_file_twice_rewrites_identical_landing_files(settings, cfg, tmp_path):
    path = export(tmp_path)
    import_file(settings, cfg, "facebook", path, AS_OF)
    files = sorted(settings.landing_dir.rglob("*.csv.parquet"))
    before = {f: f.read_bytes() for f in files}
    import_file(settings, cfg, "facebook", path, AS_OF)
    assert sorted(settings.landing_dir.rglob("*.csv.parquet")) == files
    assert {f: f.read_bytes() for f in files} == before


def write(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "hand.csv"
    path.write_bytes(text.encode(encoding))
    return path


HEADER = "Post ID,Page ID,Publish time,Permalink,Description,Views,Reach,Reactions,Comments,Shares,Extra column\n"


def test_hand_written_edge_cases(settings, cfg, tmp_path):
    text = HEADER + (
        '777,112233445566002,11/18/2026 09:30,https://fb.example/777,"Ligne 1\nLigne 2 ; « travaux »",'
        '"1,234",900,12,3,1,whatever\n'
    )
    import_file(settings, cfg, "facebook", write(tmp_path, "\ufeff" + text), AS_OF)
    (post,) = landed(settings, "posts")
    assert post["post_id"] == "112233445566002_777" and post["message"] == "Ligne 1\nLigne 2 ; « travaux »"
    assert post["created_time"].isoformat() == "2026-11-18T08:30:00+00:00"  # 09:30 in Paris
    assert lifetime(settings)["112233445566002_777"][:3] == (1234, 900, 12)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER.replace("Reach,", ""), r"hand\.csv, row 1, column 'Reach': required column 'Reach' is missing"),
        (
            HEADER + "777,112233445566002,11/18/2026 09:30,u,d,12x,1,1,1,1,\n",
            r"hand\.csv, row 2, column 'Views': '12x' is not a number",
        ),
        (
            HEADER + "777,999,11/18/2026 09:30,u,d,1,1,1,1,1,\n",
            r"row 2, column 'Page ID': Page ID '999' is not a facebook account",
        ),
        (HEADER + "777,112233445566002,11/18/2026 09:30,u,d,-4,1,1,1,1,\n", r"row 2, column 'Views': '-4' is negative"),
        ("", r"hand\.csv: the file is empty"),
    ],
    ids=["missing-column", "bad-number", "unknown-page", "negative", "empty"],
)
def test_bad_files_are_refused_with_nothing_written(settings, cfg, tmp_path, text, message):
    good = "778,112233445566002,11/18/2026 09:30,u,d,1,1,1,1,1,\n"
    with pytest.raises(ImportFileError, match=message):
        import_file(settings, cfg, "facebook", write(tmp_path, text + (good if text.startswith("Post") else "")), AS_OF)
    assert not settings.landing_dir.exists() or not any(settings.landing_dir.rglob("*.parquet"))


def test_windows_1252_is_read(settings, cfg, tmp_path):
    text = HEADER + "779,112233445566002,11/18/2026 09:30,u,Élections régionales : où voter ?,1,1,1,1,1,\n"
    import_file(settings, cfg, "facebook", write(tmp_path, text, "cp1252"), AS_OF)
    assert landed(settings, "posts")[0]["message"] == "Élections régionales : où voter ?"
