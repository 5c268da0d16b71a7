"""A tolerant reader for analytics exports opened and saved by people (often in Excel).

Every export becomes the same `Table` of text cells, whatever it was saved as:

* CSV: UTF-8 with or without BOM, else Windows-1252; `,`, `;` or tab separators
  (told apart by which one gives the rows a steady width, because the first line may
  be a title); `;` files are French Excel's and write decimal commas.
* XLSX: one worksheet read with openpyxl in read-only mode. Typed cells become the
  text a CSV would hold, so the importers need one code path: whole numbers
  `3423.0` -> "3423", other numbers their shortest exact repr ("0.0523"), dates and
  times ISO "YYYY-MM-DD HH:MM:SS" (local times, as the sheet shows them). Binary
  `.xls` workbooks (Excel 97-2003) are refused with what to do instead.

Exports may start with title or notes rows before the header (LinkedIn writes a
description row). The header is the row that names the most of the columns the
caller expects (`header=`); without that hint, leading rows with fewer than half the
table's filled cells (and at least two) are taken for notes and skipped.

Row numbers are the file's own (line of the CSV record, Excel row number), so an
error message points at what the user sees when they open the file.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

ENCODINGS = ("utf-8-sig", "cp1252")
SEPARATORS = (",", ";", "\t")
EMPTY = {"", "-", "--", "n/a", "na", "null"}
SCAN_ROWS = 30
"""Rows looked at to find the separator and the header row."""

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound file: Excel 97-2003 .xls


class ImportFileError(ValueError):
    """A file that cannot be imported; the message names the file, sheet, row and column."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        sheet: str | None = None,
    ):
        where = (
            str(path)
            + (f", sheet {sheet!r}" if sheet else "")
            + (f", row {row}" if row is not None else "")
            + (f", column {column!r}" if column else "")
        )
        super().__init__(f"{where}: {message}")
        self.path, self.sheet, self.row, self.column = str(path), sheet, row, column


@dataclass
class Table:
    path: Path
    encoding: str  # "xlsx" for a workbook
    separator: str  # "" for a workbook
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number in the file, values by normalised header)
    sheet: str | None = None  # the worksheet read, for a workbook
    header_row: int = 1  # row number of the header in the file

    @property
    def decimal_comma(self) -> bool:
        """French Excel writes `;`-separated files with decimal commas (workbooks store numbers)."""
        return self.separator == ";"

    def error(self, message: str, *, row: int | None = None, column: str | None = None) -> ImportFileError:
        """An ImportFileError naming this table's file and sheet."""
        return ImportFileError(self.path, message, row=row, column=column, sheet=self.sheet)


def normalise(name: str) -> str:
    """Header key: case, accents, spaces and punctuation folded ('Publish time' =
    'publish_time', "Taux d’engagement" = "Taux d'engagement")."""
    text = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


# -- reading -----------------------------------------------------------------------------------

Record = tuple[int, list[str]]  # (row number in the file, cells)


def read_table(path: Path, *, header: Iterable[str] = (), sheet: str | Iterable[str] | None = None) -> Table:
    """The export at `path` as a Table of text cells (CSV or XLSX, told apart by content).

    `header`: names the caller expects in the header row (any alias of any column);
    the row naming most of them is the header. `sheet`: for a workbook, the sheet
    name(s) to read, first found wins (case and punctuation folded); else the sheet
    whose header names most of `header`; else the first sheet that is not empty.
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise ImportFileError(path, "the file is empty")
    expected = {normalise(h) for h in header} - {""}
    if raw.startswith(XLS_MAGIC):
        raise ImportFileError(
            path,
            "a binary Excel 97-2003 workbook (.xls) cannot be read: open it in Excel or LibreOffice "
            "and save it as .xlsx (Excel workbook) or CSV, then import that file",
        )
    if raw.startswith(XLSX_MAGIC):
        return _read_xlsx(path, raw, expected, sheet)
    return _read_csv(path, raw, expected)


def _read_csv(path: Path, raw: bytes, expected: set[str]) -> Table:
    text, encoding = None, None
    for enc in ENCODINGS:
        try:
            text, encoding = raw.decode(enc), enc
            break
        except UnicodeDecodeError:
            continue
    if text is None or encoding is None:  # cp1252 decodes almost anything; this is for the rest
        raise ImportFileError(path, "not UTF-8 nor Windows-1252 text")
    separator = _sniff_separator(text)
    try:
        records = list(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=separator), 1))
    except csv.Error as exc:
        raise ImportFileError(path, f"not a readable CSV file ({exc})") from exc
    return _frame(path, records, expected, encoding=encoding, separator=separator, sheet=None)


def _sniff_separator(text: str) -> str:
    """The separator that gives the first rows one steady width of two or more cells.

    Writers give every row the header's width (Excel pads even title rows), while a
    wrong separator splits rows only where a value happens to hold it. Scored by how
    many rows share the most common width, then by that width; ties go to `,`.
    """
    best, best_score = SEPARATORS[0], (0, 0)
    for sep in SEPARATORS:
        try:
            records = list(islice(csv.reader(io.StringIO(text, newline=""), delimiter=sep), SCAN_ROWS))
        except csv.Error:
            continue
        widths = Counter(len(r) for r in records if len(r) >= 2 and any(v.strip() for v in r))
        if not widths:
            continue
        score = max((count, width) for width, count in widths.items())
        if score > best_score:
            best, best_score = sep, score
    return best


def _read_xlsx(path: Path, raw: bytes, expected: set[str], sheet: str | Iterable[str] | None) -> Table:
    from openpyxl import load_workbook  # only for workbooks: keep CSV imports light
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(path, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from exc
    try:
        sheets = {name: _xlsx_records(workbook[name]) for name in workbook.sheetnames}
    finally:
        workbook.close()
    if not sheets:
        raise ImportFileError(path, "the workbook has no sheet")
    name = _pick_sheet(path, sheets, expected, sheet)
    return _frame(path, sheets[name], expected, encoding="xlsx", separator="", sheet=name)


def _xlsx_records(worksheet) -> list[Record]:
    worksheet.reset_dimensions()  # some writers store a wrong used range; read every cell
    return [
        (number, [cell_text(v) for v in values])
        for number, values in enumerate(worksheet.iter_rows(values_only=True), 1)
    ]


def _pick_sheet(
    path: Path, sheets: dict[str, list[Record]], expected: set[str], wanted: str | Iterable[str] | None
) -> str:
    names = [wanted] if isinstance(wanted, str) else list(wanted or ())
    by_key = {normalise(n): n for n in sheets}
    for name in names:
        if normalise(name) in by_key:
            return by_key[normalise(name)]
    if expected:
        scores = {
            n: max((_matches(cells, expected) for _, cells in recs[:SCAN_ROWS]), default=0)
            for n, recs in sheets.items()
        }
        best = max(scores, key=lambda n: scores[n])  # first sheet on ties
        if scores[best]:
            return best
    if names:
        raise ImportFileError(
            path, f"no sheet {names[0]!r} in the workbook (sheets: {', '.join(repr(n) for n in sheets)})"
        )
    filled = (n for n, recs in sheets.items() if any(c.strip() for _, cells in recs for c in cells))
    return next(filled, next(iter(sheets)))  # the first sheet with something in it


def cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)  # shortest text that reads back as the same float; '.' decimal point
    if isinstance(value, datetime):
        if value.microsecond:  # Excel stores days as floats: round the noise to the second
            value = (value + timedelta(microseconds=500_000)).replace(microsecond=0)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d 00:00:00")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    return str(value)


def _matches(cells: list[str], expected: set[str]) -> int:
    return len({normalise(c) for c in cells if c.strip()} & expected)


def _find_header(records: list[Record], expected: set[str]) -> int:
    """Index in `records` of the header row (records are non-blank)."""
    scanned = records[:SCAN_ROWS]
    if expected:
        scores = [_matches(cells, expected) for _, cells in scanned]
        if max(scores, default=0):
            return scores.index(max(scores))
    filled = [sum(1 for c in cells if c.strip()) for _, cells in scanned]
    widest = max(filled, default=0)
    needed = max(min(2, widest), math.ceil(widest / 2))
    return next((i for i, n in enumerate(filled) if n >= needed), 0)


def _frame(
    path: Path, records: list[Record], expected: set[str], *, encoding: str, separator: str, sheet: str | None
) -> Table:
    """Header and data rows from the raw records; rows before the header are notes."""
    records = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    if not records:
        raise ImportFileError(path, "no rows to read" if sheet is None else "the sheet is empty", sheet=sheet)
    at = _find_header(records, expected)
    header_row, header_cells = records[at]
    while header_cells and not header_cells[-1].strip():  # Excel pads rows to the used range
        header_cells = header_cells[:-1]
    header = [h.strip() for h in header_cells]
    keys = [normalise(h) for h in header]
    rows = []
    for number, values in records[at + 1 :]:
        if len(values) > len(keys) and any(v.strip() for v in values[len(keys) :]):
            raise ImportFileError(path, f"{len(values)} values for {len(keys)} columns", row=number, sheet=sheet)
        rows.append((number, {k: (values[i].strip() if i < len(values) else "") for i, k in enumerate(keys)}))
    return Table(
        path=path, encoding=encoding, separator=separator, header=header, rows=rows, sheet=sheet, header_row=header_row
    )


# -- columns and values ------------------------------------------------------------------------


def find_column(table: Table, aliases: Iterable[str], *, required: bool, label: str) -> str | None:
    """The normalised key of the first header matching one of `aliases`."""
    aliases = tuple(aliases)
    present = {normalise(h) for h in table.header}
    for alias in aliases:
        if normalise(alias) in present:
            return normalise(alias)
    if required:
        raise table.error(
            f"required column {label!r} is missing (accepted headers: {', '.join(aliases)}; "
            f"found: {', '.join(h for h in table.header if h)})",
            column=label,
        )
    return None


def _clean_number(value: str) -> str:
    return value.strip().replace("\u00a0", " ").replace("\u202f", " ").replace(" ", "")


def parse_int(table: Table, line: int, column: str, value: str) -> int | None:
    """Counts as written by exports and spreadsheets: '1234', '1 234', '1,234', '3423.0', '1234,0'."""
    if value.strip().lower() in EMPTY:
        return None
    text = _clean_number(value)
    if table.decimal_comma:
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise table.error(f"{value!r} is not a number", row=line, column=column) from None
    if not number.is_finite():
        raise table.error(f"{value!r} is not a number", row=line, column=column)
    if number != number.to_integral_value():
        raise table.error(f"{value!r} is not a whole count", row=line, column=column)
    if number < 0:
        raise table.error(f"{value!r} is negative; counts cannot be", row=line, column=column)
    return int(number)


def parse_ratio(table: Table, line: int, column: str, value: str) -> float | None:
    """A non-negative ratio (engagement rate, CTR): '0.0523', '0,0523' (decimal comma
    files), '5.23%' or '5,23 %' (percent: divided by 100). None when blank.

    A lone `,` is the decimal mark only in decimal-comma files (elsewhere it groups
    thousands); a lone `.` is always a decimal point, since ratios are not written
    with thousands; with both, the last one is the decimal mark.
    """
    if value.strip().lower() in EMPTY:
        return None
    text = _clean_number(value)
    percent = text.endswith("%")
    text = text.rstrip("%")
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal_mark == "," else ",", "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", ".") if table.decimal_comma else text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise table.error(f"{value!r} is not a number", row=line, column=column) from None
    if not number.is_finite():
        raise table.error(f"{value!r} is not a number", row=line, column=column)
    if number < 0:
        raise table.error(f"{value!r} is negative; a rate cannot be", row=line, column=column)
    return float(number / 100 if percent else number)


DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M %z",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    # dates alone (LinkedIn's "Created date"): local midnight
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
)


def _other_order(fmt: str) -> str:
    """The same format with day and month swapped ('%m/%d/%Y' <-> '%d/%m/%Y')."""
    return fmt.replace("%m/%d", "\0").replace("%d/%m", "%m/%d").replace("\0", "%d/%m")


def datetime_format(table: Table, column: str) -> str:
    """The one format that reads every value of the column.

    Month-first and day-first are told apart by the values themselves; when both
    read every value (all days <= 12), `;`-separated files (French Excel) are
    taken as day-first and the others as month-first (Meta's, X's and LinkedIn's
    default).
    """
    values = [r[column] for _, r in table.rows if r.get(column)]
    fitting = []
    for fmt in DATETIME_FORMATS:
        try:
            for v in values:
                datetime.strptime(v, fmt)
        except ValueError:
            continue
        fitting.append(fmt)
    if not fitting:
        sample = values[0] if values else ""
        header = next((h for h in table.header if normalise(h) == column), column)
        raise table.error(f"unrecognised date/time {sample!r}", column=header)
    chosen = fitting[0]
    twin = _other_order(chosen)
    if twin != chosen and twin in fitting:
        month_first = chosen if chosen.startswith("%m") else twin
        return _other_order(month_first) if table.decimal_comma else month_first
    return chosen


def parse_datetime(table: Table, line: int, column: str, value: str, fmt: str, timezone: str) -> datetime:
    """A UTC timestamp; values without an offset are local times of `timezone` (the
    account's, as the analytics UIs display them)."""
    try:
        parsed = datetime.strptime(value.strip(), fmt)
    except ValueError:
        raise table.error(f"{value!r} is not a date/time", row=line, column=column) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return parsed.astimezone(UTC)
