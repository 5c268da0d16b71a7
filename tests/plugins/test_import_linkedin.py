"""LinkedIn Page content exports -> landing: imported exactly, or refused with nothing written."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook, load_workbook

from sandbox.exports_linkedin import export as linkedin_export
from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.imports.reader import ImportFileError
from socialpulse.imports.run import import_file

TODAY = date(2026, 11, 20)
AS_OF = TODAY - timedelta(days=1)
START = AS_OF - timedelta(days=13)
ACCOUNT = "li_region_main"
ORGANIZATIONS = {"li_region_main": "10493217", "li_region_transports": "10493288"}
MEDIA_TYPES = {"photo": "image", "video": "video", "link": "article", "text": "none"}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "linkedin"


@pytest.fixture
def cfg(settings):
    return load_accounts(settings.config_file)


def export(tmp_path, name, dialect, start=START, end=AS_OF, account=None) -> Path:
    path = tmp_path / name
    path.write_bytes(linkedin_export(42, TODAY, start, end, dialect, account=account))
    return path


def landed(settings, entity):
    rows = []
    for path in sorted(settings.landing_dir.glob(f"platform=linkedin/entity={entity}/ds=*/account=*.csv.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def statistics(settings):
    """post urn -> (impressions, clicks, likes, comments, reposts, engagement) as landed."""
    return {
        r["post_urn"]: (
            r["impression_count"],
            r["click_count"],
            r["like_count"],
            r["comment_count"],
            r["share_count"],
            r["engagement"],
        )
        for r in landed(settings, "post_statistics")
    }


def posts(settings):
    """post urn -> (organization, created_at, media_type, permalink) as landed."""
    return {
        r["post_urn"]: (r["organization_id"], r["created_at"].isoformat(), r["media_type"], r["permalink_url"])
        for r in landed(settings, "posts")
    }


def _truth(start=START, account=ACCOUNT):
    t = truth(seed=42, today=TODAY, start=start, end=AS_OF, platform="linkedin")
    return t, [p for p in t["posts"] if p["account_id"] == ORGANIZATIONS[account]]


def expected_statistics(start=START, account=ACCOUNT):
    """The API's organic numbers from the truth: impressions are the views not paid for."""
    t, chosen = _truth(start, account)
    metrics = {(m["post_id"], m["as_of"]): m for m in t["post_metrics"]}
    out = {}
    for p in chosen:
        m = metrics[(p["post_id"], AS_OF.isoformat())]
        organic = m["views"] - m["views_paid"]
        interactions = m["clicks"] + m["reactions_total"] + m["comments"] + m["shares"]
        out[p["post_id"]] = (
            organic,
            m["clicks"],
            m["reactions_total"],
            m["comments"],
            m["shares"],
            interactions / organic if organic else 0.0,
        )
    return out


def same_statistics(got, want):
    """Counts exactly; the engagement ratio to the 16 significant digits a workbook cell keeps
    (Excel and openpyxl write doubles as %.16g: the CSV dialects carry every digit)."""
    assert {k: v[:5] for k, v in got.items()} == {k: v[:5] for k, v in want.items()}
    assert {k: v[5] for k, v in got.items()} == pytest.approx({k: v[5] for k, v in want.items()}, rel=1e-15, abs=0)
    return True


def expected_posts(start=START, account=ACCOUNT):
    _, chosen = _truth(start, account)
    return {
        p["post_id"]: (
            p["account_id"],
            datetime.fromisoformat(p["created_at"].replace("Z", "+00:00")).isoformat(),
            MEDIA_TYPES[p["format"]],
            p["permalink_url"],
        )
        for p in chosen
    }


def messages(settings):
    return {r["post_urn"]: r["commentary"] for r in landed(settings, "posts")}


def expected_messages(encoding=None):
    _, chosen = _truth()
    if encoding is None:
        return {p["post_id"]: p["message"] for p in chosen}
    return {p["post_id"]: p["message"].encode(encoding, errors="replace").decode(encoding) for p in chosen}


def nothing_landed(settings):
    return not settings.landing_dir.exists() or not any(settings.landing_dir.rglob("*.parquet"))


# -- sandbox exports, every dialect -------------------------------------------------------------


def test_the_xlsx_workbook_imports_exactly_the_truth(settings, cfg, tmp_path):
    path = export(tmp_path, "content.xlsx", "xlsx")
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["Metrics", "All posts"]  # the posts are not on the first sheet
    all_posts = list(book["All posts"].iter_rows(values_only=True))
    assert str(all_posts[0][0]).startswith("All posts: ") and all_posts[1][:2] == ("Post title", "Post link")
    assert any(r[2] == "Sponsored" for r in all_posts[2:])  # a paid row that must not land
    book.close()

    result = import_file(settings, cfg, "linkedin", path, AS_OF, ACCOUNT)
    want = expected_statistics()
    assert result.landed == {ACCOUNT: {"posts": len(want), "post_statistics": len(want)}}
    assert same_statistics(statistics(settings), want) and len(want) > 10
    assert posts(settings) == expected_posts()
    assert messages(settings) == expected_messages()
    assert any(urn.startswith("urn:li:ugcPost:") for urn in want)
    for row in landed(settings, "posts") + landed(settings, "post_statistics"):
        assert (row["_source"], row["_ds"], row["_account_key"]) == ("csv", AS_OF, ACCOUNT)


def test_what_the_export_lacks_lands_null_never_zero(settings, cfg, tmp_path):
    import_file(settings, cfg, "linkedin", export(tmp_path, "content.xlsx", "xlsx"), AS_OF, ACCOUNT)
    unknown = ("unique_impressions_count", "comments_count", "top_level_comments_count")
    unknown += tuple(f"reaction_{t}_count" for t in ("like", "praise", "empathy", "interest", "appreciation"))
    for row in landed(settings, "post_statistics"):
        assert all(row[c] is None for c in unknown), row
    for row in landed(settings, "posts"):
        assert (row["article_url"], row["visibility"], row["published_at"]) == (None, None, None), row


def test_english_csv_with_bom_imports_the_same(settings, cfg, tmp_path):
    path = export(tmp_path, "content.csv", "en")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.splitlines()[0].startswith(b'\xef\xbb\xbf"All posts: ')
    import_file(settings, cfg, "linkedin", path, AS_OF, ACCOUNT)
    assert statistics(settings) == expected_statistics()
    assert posts(settings) == expected_posts()
    assert messages(settings) == expected_messages()


def test_french_excel_csv_imports_the_same(settings, cfg, tmp_path):
    path = export(tmp_path, "content_fr.csv", "fr")
    raw = path.read_bytes()
    header = raw.splitlines()[1].decode("cp1252")
    assert not raw.startswith(b"\xef\xbb\xbf") and header.startswith("Titre de la publication;")
    assert "Taux d’engagement" in header and b";0,0" in raw  # decimal commas
    import_file(settings, cfg, "linkedin", path, AS_OF, ACCOUNT)
    assert statistics(settings) == expected_statistics()  # engagement to the last bit
    assert posts(settings) == expected_posts()
    assert messages(settings) == expected_messages("cp1252")  # emoji do not survive Windows-1252


def test_each_page_exports_and_imports_on_its_own(settings, cfg, tmp_path):
    path = export(tmp_path, "mobilites.xlsx", "xlsx", account="li_region_transports")
    result = import_file(settings, cfg, "linkedin", path, AS_OF, "li_region_transports")
    want = expected_statistics(account="li_region_transports")
    assert set(result.landed) == {"li_region_transports"}
    assert same_statistics(statistics(settings), want) and want
    assert set(want).isdisjoint(expected_statistics())
    assert {org for org, *_ in posts(settings).values()} == {"10493288"}


def test_overlapping_exports_never_duplicate(settings, cfg, tmp_path):
    first = export(tmp_path, "a.xlsx", "xlsx", start=START, end=START + timedelta(days=8))
    second = export(tmp_path, "b.csv", "en", start=START + timedelta(days=4), end=AS_OF)
    import_file(settings, cfg, "linkedin", first, AS_OF, ACCOUNT)
    import_file(settings, cfg, "linkedin", second, AS_OF, ACCOUNT)
    for entity in ("posts", "post_statistics"):
        urns = [r["post_urn"] for r in landed(settings, entity)]
        assert len(urns) == len(set(urns)), entity
    assert same_statistics(statistics(settings), expected_statistics())


def _landing_snapshot(settings):
    """Every landing file and its rows, without the import's wall-clock time."""
    return {
        str(path.relative_to(settings.landing_dir)): [
            {k: v for k, v in row.items() if k != "_extracted_at"} for row in pq.read_table(path).to_pylist()
        ]
        for path in sorted(settings.landing_dir.rglob("*.parquet"))
    }


def test_the_same_file_twice_gives_the_same_landing(settings, cfg, tmp_path):
    path = export(tmp_path, "content.xlsx", "xlsx")
    import_file(settings, cfg, "linkedin", path, AS_OF, ACCOUNT)
    once = _landing_snapshot(settings)
    import_file(settings, cfg, "linkedin", path, AS_OF, ACCOUNT)
    assert _landing_snapshot(settings) == once
    assert len(once) == 2 and all(len(rows) == len(expected_statistics()) for rows in once.values())


# -- hand-written files ---------------------------------------------------------------------------


def test_a_hand_downloaded_file_with_bom_and_dates_alone(settings, cfg):
    """UTF-8 with BOM, accents, dates without a time, a percent rate, a blank count, a boost."""
    path = FIXTURES / "content_bom.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result = import_file(settings, cfg, "linkedin", path, AS_OF, ACCOUNT)
    assert result.rows_read == 3 and result.landed == {ACCOUNT: {"posts": 2, "post_statistics": 2}}
    assert statistics(settings) == {
        "urn:li:share:7001": (1234, 40, 50, 3, 2, 0.077),
        # the sponsored row's 5000 impressions are paid: not landed; a blank count is NULL
        "urn:li:ugcPost:7002": (800, None, 12, 0, 1, 0.055),
    }
    assert messages(settings) == {"urn:li:share:7001": "Élections régionales : où voter ?", "urn:li:ugcPost:7002": None}
    assert posts(settings)["urn:li:share:7001"] == (
        "10493217",
        "2026-11-17T23:00:00+00:00",  # 11/18/2026 alone: midnight in Paris
        "image",
        "https://www.linkedin.com/feed/update/urn:li:share:7001/",
    )


HEADER = "Post title,Post link,Created date,Impressions,Clicks,Likes,Comments,Reposts,Engagement rate\n"
TITLE = '"All posts: Région Val-d\'Argent, 11/01/2026 - 11/19/2026"\n'
ROW = "Hello,https://www.linkedin.com/feed/update/urn:li:share:7001/,11/18/2026 09:30:00,100,4,5,1,0,0.1\n"


def write(tmp_path, text, name="hand.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_a_quoted_newline_in_the_post_title(settings, cfg, tmp_path):
    row = '"Ligne 1\nLigne 2, « travaux »",' + ROW.split(",", 1)[1]
    import_file(
        settings, cfg, "linkedin", write(tmp_path, TITLE + HEADER + row + ROW.replace("7001", "7003")), AS_OF, ACCOUNT
    )
    assert messages(settings) == {"urn:li:share:7001": "Ligne 1\nLigne 2, « travaux »", "urn:li:share:7003": "Hello"}
    assert statistics(settings)["urn:li:share:7003"] == (100, 4, 5, 1, 0, 0.1)


def test_extra_columns_in_any_order(settings, cfg, tmp_path):
    text = (
        "Bookmarks,Reposts,Comments,Likes,Clicks,Impressions,Notes,Created date,Post link,Post title\n"
        "9,0,1,5,4,100,seen,11/18/2026 09:30:00,https://www.linkedin.com/feed/update/urn:li:share:7001/,Hello\n"
    )
    import_file(settings, cfg, "linkedin", write(tmp_path, text), AS_OF, ACCOUNT)
    assert statistics(settings) == {"urn:li:share:7001": (100, 4, 5, 1, 0, None)}
    assert posts(settings)["urn:li:share:7001"][1:3] == ("2026-11-18T08:30:00+00:00", "unknown")


def _without_column(rows, name):
    index = rows[1].index(name)
    return [r[:index] + r[index + 1 :] if len(r) > index else r for r in rows]


def test_a_missing_required_column_is_named_with_the_file_and_nothing_is_written(settings, cfg, tmp_path):
    text = (TITLE + HEADER + ROW).replace(",Impressions", "").replace(",100,", ",")
    with pytest.raises(
        ImportFileError, match=r"hand\.csv, row 2, column 'Impressions': required column 'Impressions' is missing"
    ):
        import_file(settings, cfg, "linkedin", write(tmp_path, text), AS_OF, ACCOUNT)
    assert nothing_landed(settings)

    book = load_workbook(export(tmp_path, "content.xlsx", "xlsx"))
    sheet = book["All posts"]
    sheet.delete_cols([c.value for c in sheet[2]].index("Impressions") + 1)
    book.save(tmp_path / "content.xlsx")
    with pytest.raises(
        ImportFileError,
        match=r"content\.xlsx, sheet 'All posts', row 2, column 'Impressions': required column 'Impressions'",
    ):
        import_file(settings, cfg, "linkedin", tmp_path / "content.xlsx", AS_OF, ACCOUNT)
    assert nothing_landed(settings)


@pytest.mark.parametrize(
    ("account", "message"),
    [
        (None, r"hand\.csv: a LinkedIn Page export does not name its organization: pass --account .*li_region_main"),
        ("region_main", r"--account 'region_main' is a facebook account, not a LinkedIn Page"),
        ("li_nowhere", r"--account 'li_nowhere' is not in config/accounts.yml \(LinkedIn accounts: li_region_main, "),
    ],
    ids=["missing", "facebook-key", "unknown-key"],
)
def test_the_account_must_be_a_linkedin_page(settings, cfg, tmp_path, account, message):
    with pytest.raises(ImportFileError, match=message):
        import_file(settings, cfg, "linkedin", write(tmp_path, TITLE + HEADER + ROW), AS_OF, account)
    assert nothing_landed(settings)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (ROW.replace(",100,", ",12x,"), r"hand\.csv, row 4, column 'Impressions': '12x' is not a number"),
        (ROW.replace(",4,5,", ",4,-5,"), r"row 4, column 'Likes': '-5' is negative"),
        (ROW.replace(",0.1", ",high"), r"row 4, column 'Engagement rate': 'high' is not a number"),
        (ROW.replace("urn:li:share:7001", "urn:li:activity:7001"), r"row 4, column 'Post link': .*activity URN"),
        (
            ROW.replace("https://www.linkedin.com/feed/update/urn:li:share:7001/", "n/a"),
            r"'n/a' is not a LinkedIn post link",
        ),
        (
            ROW.replace("11/18/2026", "11/20/2026"),
            r"row 4, column 'Created date': created 2026-11-20, after the export",
        ),
    ],
    ids=["bad-number", "negative", "bad-rate", "activity-urn", "no-urn", "after-as-of"],
)
def test_bad_rows_are_refused_with_nothing_written(settings, cfg, tmp_path, row, message):
    good = ROW.replace("7001", "7009")
    with pytest.raises(ImportFileError, match=message):
        import_file(settings, cfg, "linkedin", write(tmp_path, TITLE + HEADER + good + row), AS_OF, ACCOUNT)
    assert nothing_landed(settings)


def test_unknown_post_and_content_types_are_refused(settings, cfg, tmp_path):
    header = HEADER.rstrip("\n") + ",Post type,Content Type\n"
    for extra, message in (
        (",Boosted,Image", r"row 2, column 'Post type': unknown post type 'Boosted'"),
        (",Organic,Hologram", r"row 2, column 'Content Type': unknown content type 'Hologram'"),
    ):
        with pytest.raises(ImportFileError, match=message):
            import_file(
                settings, cfg, "linkedin", write(tmp_path, header + ROW.rstrip("\n") + extra + "\n"), AS_OF, ACCOUNT
            )
    assert nothing_landed(settings)


def test_a_bad_cell_of_a_workbook_names_the_sheet_and_the_row(settings, cfg, tmp_path):
    book = Workbook()
    book.active.title = "Metrics"
    sheet = book.create_sheet("All posts")
    sheet.append(["All posts: Région Val-d'Argent"])
    sheet.append(HEADER.strip().split(","))
    sheet.append(["Hi", "urn:li:share:7001", datetime(2026, 11, 18, 9, 30), 100, 4, 5, 1, 0, 0.1])
    sheet.append(["Hi", "urn:li:share:7002", datetime(2026, 11, 18, 9, 30), 100, "#REF!", 5, 1, 0, 0.1])
    book.save(tmp_path / "content.xlsx")
    with pytest.raises(ImportFileError, match=r"content\.xlsx, sheet 'All posts', row 4, column 'Clicks': '#REF!'"):
        import_file(settings, cfg, "linkedin", tmp_path / "content.xlsx", AS_OF, ACCOUNT)
    assert nothing_landed(settings)


def test_an_all_sponsored_file_lands_nothing(settings, cfg, tmp_path):
    text = HEADER.rstrip("\n") + ",Post type\n" + ROW.rstrip("\n") + ",Sponsored\n"
    result = import_file(settings, cfg, "linkedin", write(tmp_path, text), AS_OF, ACCOUNT)
    assert (result.rows_read, result.landed) == (1, {})
    assert nothing_landed(settings)


def test_created_dates_are_read_in_the_configured_time_zone(settings, cfg, tmp_path):
    summer = ROW.replace("11/18/2026 09:30:00", "07/01/2026 09:30:00")
    import_file(settings, cfg, "linkedin", write(tmp_path, HEADER + summer), AS_OF, ACCOUNT)
    (post,) = landed(settings, "posts")
    assert post["created_at"] == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)  # CEST, UTC+2
