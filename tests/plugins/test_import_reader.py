"""The tolerant reader: a workbook reads as the same table as its CSV, title rows above the
header are skipped, and every refusal names the file, the sheet, the row and the column."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from socialpulse.imports.reader import (
    XLS_MAGIC,
    ImportFileError,
    Table,
    cell_text,
    datetime_format,
    find_column,
    normalise,
    parse_datetime,
    parse_int,
    parse_ratio,
    read_table,
)


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = Workbook()
    for index, (title, rows) in enumerate(sheets.items()):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = title
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def text_file(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def table(separator: str, column: str, values: list[str]) -> Table:
    key = normalise(column)
    rows = [(n, {key: v}) for n, v in enumerate(values, 2)]
    return Table(path=Path("t.csv"), encoding="utf-8", separator=separator, header=[column], rows=rows)


def test_a_workbook_reads_as_the_same_table_as_its_csv(tmp_path):
    xlsx = workbook(
        tmp_path / "posts.xlsx",
        {
            "Posts": [
                ["Post ID", "Publish time", "Views", "Rate", "Note"],
                [777, datetime(2026, 11, 18, 9, 30), 3423.0, 0.0523, "Ligne 1\nLigne 2"],
                [778, datetime(2026, 11, 18, 17, 5, 59, 999_700), 12, None, True],
            ]
        },
    )
    csv = text_file(
        tmp_path / "posts.csv",
        "Post ID,Publish time,Views,Rate,Note\r\n"
        '777,2026-11-18 09:30:00,3423,0.0523,"Ligne 1\nLigne 2"\r\n'
        "778,2026-11-18 17:06:00,12,,TRUE\r\n",
    )
    from_xlsx, from_csv = read_table(xlsx), read_table(csv)
    assert (from_xlsx.header, from_xlsx.rows) == (from_csv.header, from_csv.rows)
    assert (from_xlsx.sheet, from_xlsx.encoding, from_xlsx.decimal_comma) == ("Posts", "xlsx", False)
    # and the typed cells parse like text ones
    line, row = from_xlsx.rows[0]
    assert parse_int(from_xlsx, line, "Views", row["views"]) == 3423
    assert parse_ratio(from_xlsx, line, "Rate", row["rate"]) == 0.0523
    fmt = datetime_format(from_xlsx, "publish_time")
    moment = parse_datetime(from_xlsx, line, "Publish time", row["publish_time"], fmt, "Europe/Paris")
    assert moment == datetime(2026, 11, 18, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (3423.0, "3423"),
        (0.1 + 0.2, "0.30000000000000004"),  # every digit Excel stored, read back exactly
        (1e20, "100000000000000000000"),
        (datetime(2026, 11, 18, 23, 59, 59, 600_000), "2026-11-19 00:00:00"),
        (datetime(2026, 11, 18, 9, 30, 0, 400), "2026-11-18 09:30:00"),
        (False, "FALSE"),
    ],
)
def test_cells_become_the_text_a_csv_would_hold(value, text):
    assert cell_text(value) == text


TITLE_ROWS = {
    "one-cell title": '"All posts: Région Val-d\'Argent, 11/01/2026 - 11/19/2026"\n'
    "Post link,Impressions,Likes\nu1,10,2\n",
    "title padded by Excel": "Toutes les publications : du 01/11/2026 au 19/11/2026;;\n"
    "Post link;Impressions;Likes\nu1;10;2\n",
    "two notes rows": "All posts\nExported 11/20/2026\n\nPost link,Impressions,Likes\nu1,10,2\n",
}


@pytest.mark.parametrize("text", TITLE_ROWS.values(), ids=TITLE_ROWS.keys())
def test_title_rows_above_the_header_are_skipped(tmp_path, text):
    read = read_table(text_file(tmp_path / "c.csv", text))
    assert read.header == ["Post link", "Impressions", "Likes"]
    assert [r for _, r in read.rows] == [{"post_link": "u1", "impressions": "10", "likes": "2"}]
    assert read.rows[0][0] == read.header_row + 1


def test_a_workbook_title_row_merged_across_the_sheet_is_skipped(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "All posts"
    sheet.append(["All posts: Région Val-d'Argent"])
    sheet.merge_cells("A1:C1")
    sheet.append(["Post link", "Impressions", "Likes"])
    sheet.append(["u1", 10, 2])
    book.save(tmp_path / "c.xlsx")
    read = read_table(tmp_path / "c.xlsx")
    assert (read.header_row, read.header) == (2, ["Post link", "Impressions", "Likes"])
    assert read.rows == [(3, {"post_link": "u1", "impressions": "10", "likes": "2"})]


def test_expected_names_find_the_header_below_a_wide_title_block(tmp_path):
    text = "Period,11/01/2026,11/19/2026\nPage,Région Val-d'Argent,10493217\nPost link,Impressions,Likes\nu1,10,2\n"
    read = read_table(text_file(tmp_path / "c.csv", text), header=["Post link", "Update link", "Impressions"])
    assert (read.header_row, read.header) == (3, ["Post link", "Impressions", "Likes"])
    assert read.rows == [(4, {"post_link": "u1", "impressions": "10", "likes": "2"})]


def test_the_separator_is_the_one_that_gives_steady_rows(tmp_path):
    french = "All posts, 01/11/2026 - 19/11/2026, Région\nPost link;Taux;Likes\nu1;0,052;2\nu2;0,5;3\n"
    read = read_table(text_file(tmp_path / "fr.csv", french, "cp1252"))
    assert (read.separator, read.decimal_comma, read.header) == (";", True, ["Post link", "Taux", "Likes"])
    assert parse_ratio(read, 3, "Taux", read.rows[0][1]["taux"]) == 0.052
    english = 'Post link,Title,Likes\nu1,"a; b; c; d; e",2\nu2,x;y;z;w,3\n'
    assert read_table(text_file(tmp_path / "en.csv", english)).separator == ","


def test_the_sheet_is_chosen_by_name_then_by_header(tmp_path):
    path = workbook(
        tmp_path / "content.xlsx",
        {
            "Metrics": [["Daily metrics"], ["Date", "Impressions (organic)"], [datetime(2026, 11, 18), 5]],
            "All posts": [["All posts"], ["Post link", "Impressions"], ["u1", 10]],
        },
    )
    assert read_table(path).sheet == "Metrics"  # no hint: the first sheet, as Excel opens it
    assert read_table(path, sheet="ALL POSTS").sheet == "All posts"
    assert read_table(path, sheet=("Toutes les publications", "All posts")).sheet == "All posts"
    assert read_table(path, header=["Post link", "Update link"]).sheet == "All posts"
    with pytest.raises(
        ImportFileError, match=r"content\.xlsx: no sheet 'Posts' in the workbook \(sheets: 'Metrics', 'All posts'\)"
    ):
        read_table(path, sheet="Posts")


def test_without_a_hint_an_empty_first_sheet_is_passed_over(tmp_path):
    path = workbook(tmp_path / "c.xlsx", {"Sheet1": [], "All posts": [["Post link", "Impressions"], ["u1", 10]]})
    assert read_table(path).sheet == "All posts"


def test_errors_name_the_file_the_sheet_the_row_and_the_column(tmp_path):
    path = workbook(tmp_path / "content.xlsx", {"All posts": [["All posts"], ["Post link", "Views"], ["u1", "12x"]]})
    read = read_table(path)
    with pytest.raises(ImportFileError, match=r"content\.xlsx, sheet 'All posts', row 3, column 'Views': '12x' is not"):
        parse_int(read, 3, "Views", read.rows[0][1]["views"])
    with pytest.raises(
        ImportFileError,
        match=r"content\.xlsx, sheet 'All posts', row 2, column 'Reach': required column 'Reach' is missing",
    ):
        find_column(read, ("Reach",), required=True, label="Reach")
    with pytest.raises(ImportFileError, match=r"c\.csv, row 3: 4 values for 2 columns"):
        read_table(text_file(tmp_path / "c.csv", "Post link,Views\nu1,1\nu2,2,3,4\n"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            XLS_MAGIC + b"\0" * 600,
            r"old\.xlsx: a binary Excel 97-2003 workbook \(\.xls\) cannot be read: .* save it as \.xlsx",
        ),
        (b"PK\x03\x04 not really a zip", r"old\.xlsx: not a readable \.xlsx workbook"),
        (b" \r\n ", r"old\.xlsx: the file is empty"),
    ],
    ids=["xls", "broken-zip", "blank"],
)
def test_unreadable_workbooks_are_refused(tmp_path, content, message):
    (tmp_path / "old.xlsx").write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        read_table(tmp_path / "old.xlsx")


def test_an_empty_sheet_is_refused(tmp_path):
    path = workbook(tmp_path / "e.xlsx", {"All posts": []})
    with pytest.raises(ImportFileError, match=r"e\.xlsx, sheet 'All posts': the sheet is empty"):
        read_table(path)


@pytest.mark.parametrize(
    ("separator", "values", "fmt"),
    [
        (",", ["11/05/2026 09:30:12"], "%m/%d/%Y %H:%M:%S"),
        (";", ["11/05/2026 09:30:12"], "%d/%m/%Y %H:%M:%S"),  # French Excel: day first
        (",", ["05/11/2026 09:30:12", "18/11/2026 10:00:00"], "%d/%m/%Y %H:%M:%S"),  # the values decide
        (",", ["11/18/2026", "11/05/2026"], "%m/%d/%Y"),
        (";", ["05/11/2026"], "%d/%m/%Y"),
        (",", ["2026-11-18 09:30:00"], "%Y-%m-%d %H:%M:%S"),
    ],
)
def test_date_formats_month_first_or_day_first(separator, values, fmt):
    assert datetime_format(table(separator, "Created date", values), "created_date") == fmt


def test_a_date_alone_is_local_midnight():
    t = table(",", "Created date", ["11/18/2026"])
    moment = parse_datetime(t, 2, "Created date", "11/18/2026", "%m/%d/%Y", "Europe/Paris")
    assert moment == datetime(2026, 11, 17, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("separator", "value", "ratio"),
    [
        (",", "0.0523", 0.0523),
        (";", "0,0523", 0.0523),
        (";", "0.0523", 0.0523),  # a dot is a decimal point even in French files
        (",", "5.23%", 0.0523),
        (";", "5,23 %", 0.0523),
        (",", "1,234.5", 1234.5),
        (";", "1.234,5", 1234.5),
        (",", "", None),
        (";", "-", None),
    ],
)
def test_ratios(separator, value, ratio):
    assert parse_ratio(table(separator, "Rate", [value]), 2, "Rate", value) == ratio


@pytest.mark.parametrize(
    ("value", "message"), [("abc", "is not a number"), ("-0.1", "is negative"), ("inf", "is not a number")]
)
def test_bad_ratios_are_refused(value, message):
    with pytest.raises(ImportFileError, match=rf"t\.csv, row 2, column 'Rate': '{value}' {message}"):
        parse_ratio(table(",", "Rate", [value]), 2, "Rate", value)


def test_an_infinite_count_is_refused_not_crashed():
    with pytest.raises(ImportFileError, match=r"'Infinity' is not a number"):
        parse_int(table(",", "Views", ["Infinity"]), 2, "Views", "Infinity")


def test_headers_fold_case_accents_and_apostrophes():
    assert normalise("Taux d’engagement") == normalise("TAUX D'ENGAGEMENT") == "taux_d_engagement"
    assert normalise("Date de création") == "date_de_creation"
    assert normalise("\ufeffPost title ") == "post_title"
