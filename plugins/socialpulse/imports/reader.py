"""A tolerant reader for analytics exports opened and saved by people (often in Excel).

Every export becomes the same `Table` of text cells, whatever it was saved as:

* CSV: UTF-16 (Excel's "Unicode text"), UTF-8 with or without BOM, else
  Windows-1252; `,`, `;` or tab separators
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

Row numbers are the file's own as a spreadsheet shows them (the CSV record's number,
a quoted multi-line value staying in its row; the Excel row number), so an error
message points at what the user sees when they open the file.

What would land damaged is refused rather than repaired: a file cut off mid-row, NUL
bytes, text decoded twice or mixed encodings, a column named twice, no data row.
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
from dataclasses import dataclass, field
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
    duplicates: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> the two headers

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
    text, encoding = _decode(path, raw)
    separator = _sniff_separator(text, expected)
    records = _csv_records(path, text, separator)
    table = _frame(path, records, expected, encoding=encoding, separator=separator, sheet=None)
    _check_truncated(table, text, records)
    return table


def _utf16(raw: bytes) -> str | None:
    """UTF-16 (Excel's "Unicode text"), with a BOM or told by the NUL half of each ASCII character."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = raw[:2000]
    if len(head) >= 4:
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if odd >= 0.4 * len(head[1::2]) and even == 0:
            return "utf-16-le"
        if even >= 0.4 * len(head[0::2]) and odd == 0:
            return "utf-16-be"
    return None


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    """The file's text and encoding: UTF-16, UTF-8 (BOM or not) or Windows-1252.

    A byte that none of them reads is named by its row and column (what the user can
    find and fix), from a reading where it is replaced by U+FFFD.
    """
    wide = _utf16(raw)
    if wide is not None:
        try:
            return raw.decode(wide).lstrip("\ufeff"), wide
        except UnicodeDecodeError as exc:
            raise ImportFileError(path, f"not readable as UTF-16 text ({exc.reason} at byte {exc.start})") from None
    for enc in ENCODINGS:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    text = raw.decode("cp1252", errors="replace")
    records = [(n, cells) for n, cells in _safe_records(text) if any(c.strip() for c in cells)]
    head = records[0][1] if records else []
    for number, cells in records:
        for i, cell in enumerate(cells):
            if "\ufffd" in cell:
                raise ImportFileError(
                    path,
                    f"{cell!r} holds a byte that is neither UTF-8 nor Windows-1252 text (shown as \ufffd): "
                    "save the file again as CSV UTF-8",
                    row=number,
                    column=head[i].strip() if number > 1 and i < len(head) and head[i].strip() else f"column {i + 1}",
                )
    raise ImportFileError(path, "not UTF-8 nor Windows-1252 text")


def _safe_records(text: str) -> list[Record]:
    """Records for locating a problem only: any separator, errors swallowed."""
    try:
        return list(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_separator(text)), 1))
    except csv.Error:
        return []


def _csv_records(path: Path, text: str, separator: str) -> list[Record]:
    """Records numbered as a spreadsheet numbers rows (a quoted newline stays in its row)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    records: list[Record] = []
    try:
        for cells in reader:
            records.append((len(records) + 1, cells))
    except csv.Error as exc:
        raise ImportFileError(path, f"not a readable CSV file ({exc})", row=len(records) + 1) from exc
    return records


def _check_truncated(table: Table, text: str, records: list[Record]) -> None:
    """A file cut short (a copy or download interrupted) is refused rather than landed half.

    Two tell-tales: the last record is inside a quoted value that never closes (the
    reader then returns the partial text as if complete), or it has fewer cells than the
    header and the file does not end with a line break.
    """
    if not records or not table.rows:
        return
    number, cells = records[-1]
    if number != table.rows[-1][0]:
        return
    unterminated = _ends_in_open_quote(text, table.separator)
    if unterminated or (len(cells) < len(table.header) and not text.endswith(("\n", "\r"))):
        at = max(len(cells) - 1, 0) if unterminated else len(cells)
        column = table.header[at] if at < len(table.header) else None
        what = "a quoted value never closes" if unterminated else f"{len(cells)} of {len(table.header)} values"
        raise table.error(
            f"the file ends in the middle of a row ({what}): it looks truncated; download or copy it again",
            row=number,
            column=column,
        )


def _ends_in_open_quote(text: str, separator: str) -> bool:
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _sniff_separator(text: str, expected: set[str] = frozenset()) -> str:
    """The separator under which a first row names the expected columns, else the one
    that gives the first rows one steady width of two or more cells.

    Writers give every row the header's width (Excel pads even title rows), while a
    wrong separator splits rows only where a value happens to hold it. But a long
    quoted text spanning many lines, split at its own `;` or `,`, also makes many
    rows of one width: so the header the format expects decides first. Then scored
    by how many rows share the most common width, then by that width; ties go to `,`.
    """
    best, best_score = SEPARATORS[0], (0, 0, 0)
    for sep in SEPARATORS:
        try:
            records = list(islice(csv.reader(io.StringIO(text, newline=""), delimiter=sep), SCAN_ROWS))
        except csv.Error:
            continue
        named = max((_matches(r, expected) for r in records), default=0) if expected else 0
        widths = Counter(len(r) for r in records if len(r) >= 2 and any(v.strip() for v in r))
        if not widths:
            continue
        score = (named, *max((count, width) for width, count in widths.items()))
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
    _check_cells(path, records[at:], header, sheet)
    if len(records) == at + 1:
        raise ImportFileError(
            path,
            f"the header (row {header_row}) is followed by no data row: nothing to import; "
            "was the export made for an empty period?",
            row=header_row + 1,
            sheet=sheet,
        )
    seen: dict[str, str] = {}
    duplicates = {}
    for h, k in zip(header, keys, strict=True):
        if k and k in seen:
            duplicates[k] = (seen[k], h)
        seen.setdefault(k, h)
    rows = []
    for number, values in records[at + 1 :]:
        if len(values) > len(keys) and any(v.strip() for v in values[len(keys) :]):
            raise ImportFileError(
                path,
                f"{len(values)} values for {len(keys)} columns (a text with an unquoted separator?)",
                row=number,
                sheet=sheet,
            )
        cells: dict[str, str] = {}
        for i, k in enumerate(keys):
            cells.setdefault(k, values[i].strip() if i < len(values) else "")
        rows.append((number, cells))
    return Table(
        path=path,
        encoding=encoding,
        separator=separator,
        header=header,
        rows=rows,
        sheet=sheet,
        header_row=header_row,
        duplicates=duplicates,
    )


def _check_cells(path: Path, records: list[Record], header: list[str], sheet: str | None) -> None:
    """Cells that would land damaged text: NUL bytes (a binary or corrupted file) and
    text encoded twice ('Ã©' for 'é': UTF-8 read as Windows-1252 somewhere on the way)."""
    for number, cells in records:
        for i, cell in enumerate(cells):
            if cell.isascii() and "\x00" not in cell:
                continue
            column = header[i] if i < len(header) and header[i] else f"column {i + 1}"
            if "\x00" in cell:
                raise ImportFileError(
                    path,
                    "holds a NUL byte (\\x00): the file is damaged or is not a text export",
                    row=number,
                    column=column,
                    sheet=sheet,
                )
            repaired = _mojibake(cell)
            if repaired is not None:
                raise ImportFileError(
                    path,
                    f"{_excerpt(cell)!r} looks like UTF-8 text decoded as Windows-1252 ({_excerpt(repaired)!r}): "
                    "the file mixes encodings; save it again as CSV UTF-8",
                    row=number,
                    column=column,
                    sheet=sheet,
                )


def _mojibake(cell: str) -> str | None:
    """The text `cell` was before UTF-8 bytes were read as Windows-1252, if it reads so."""
    try:
        repaired = cell.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    return None if repaired == cell else repaired


def _excerpt(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class SeenRows:
    """Rows of one file that land under the same key (a post listed twice).

    An identical copy (a row pasted twice) is the same post: `repeated` says to skip it.
    Two rows of one post that disagree cannot both be right, and the file holds no way to
    tell which is: the file is refused, naming the second row and the first cell that
    differs, rather than one of them silently dropped.
    """

    def __init__(self, table: Table):
        self.table = table
        self.first: dict[object, tuple[int, dict[str, str]]] = {}

    def repeated(self, key: object, line: int, row: dict[str, str]) -> bool:
        if key not in self.first:
            self.first[key] = (line, row)
            return False
        first_line, first_row = self.first[key]
        differing = next((k for k in row if row[k] != first_row.get(k)), None)
        if differing is None:
            return True
        header = next((h for h in self.table.header if normalise(h) == differing), differing)
        raise self.table.error(
            f"row {first_line} is the same post with {_excerpt(first_row.get(differing, ''))!r} here "
            f"{_excerpt(row[differing])!r}: which one is right is unknown; keep one of the two rows",
            row=line,
            column=header,
        )


# -- columns and values ------------------------------------------------------------------------


def find_column(table: Table, aliases: Iterable[str], *, required: bool, label: str) -> str | None:
    """The normalised key of the first header matching one of `aliases`."""
    aliases = tuple(aliases)
    present = {normalise(h) for h in table.header}
    for alias in aliases:
        key = normalise(alias)
        if key in present:
            if key in table.duplicates:
                first, second = table.duplicates[key]
                raise table.error(
                    f"column {first!r} appears twice in the header (also as {second!r}): "
                    "which one to read is unknown; delete one",
                    row=table.header_row,
                    column=first,
                )
            return key
    if required:
        raise table.error(
            f"required column {label!r} is missing (accepted headers: {', '.join(aliases)}; "
            f"found: {', '.join(_excerpt(h, 80) for h in table.header if h)})"
            + (
                "; the header is a single cell: the file is not separated by ',', ';' or tabs"
                if len(table.header) == 1 and table.encoding != "xlsx"
                else ""
            ),
            row=table.header_row,
            column=label,
        )
    return None


def _clean_number(value: str) -> str:
    return value.strip().replace("\u00a0", " ").replace("\u202f", " ").replace(" ", "")


INT64_MAX = 2**63 - 1
"""The largest count a landing column holds."""


def _grouped(text: str, group: str, decimal: str) -> str | None:
    """`text` without its thousands separators, with '.' as decimal point, if it is written
    as the locale writes numbers: groups of three digits after a space or `group`, one
    separator throughout, and an optional `decimal` part ('1 234', '1.234,5', '1234')."""
    g, d = re.escape(group), re.escape(decimal)
    match = re.fullmatch(rf"(\d{{1,3}}(?:([ {g}])\d{{3}})(?:\2\d{{3}})*|\d+)(?:{d}(\d+))?", text, re.ASCII)
    if match is None:
        return None
    whole = re.sub(r"\D", "", match[1])
    return whole + (f".{match[3]}" if match[3] is not None else "")


def to_decimal(value: str, *, decimal_comma: bool) -> Decimal | None:
    """A number as the export's locale writes it, else None.

    `,` files: '1,234' and '1 234' group thousands, '.' is the decimal point; `;` files
    (French Excel): '1.234' and '1 234' group thousands, ',' is the decimal point. A
    grouping mark that does not group threes ('4210.0' in a `;` file, '1,5' in a `,`
    file) can only be a decimal mark, and is read as one: whole counts then stay exact,
    and anything else is refused by the caller rather than read as 42100 or 15.
    """
    text = value.strip()
    for space in ("\u00a0", "\u202f", "\u2009"):
        text = text.replace(space, " ")
    sign = ""
    if text[:1] in ("-", "+", "\u2212"):
        sign, text = ("-" if text[0] != "+" else ""), text[1:].lstrip()
    group, decimal = (".", ",") if decimal_comma else (",", ".")
    plain = _grouped(text, group, decimal)
    if plain is None and text.count(group) == 1 and decimal not in text:
        plain = _grouped(text, "\0", group)  # the lone mark is a decimal point
    if plain is None:
        return None
    return Decimal(sign + plain)


def parse_int(table: Table, line: int, column: str, value: str) -> int | None:
    """Counts as written by exports and spreadsheets: '1234', '1 234', '1,234', '3423.0', '1234,0',
    '1.234' in French Excel files."""
    if value.strip().lower() in EMPTY:
        return None
    number = to_decimal(value, decimal_comma=table.decimal_comma)
    if number is None:
        raise table.error(f"{_excerpt(value)!r} is not a number", row=line, column=column)
    if number != number.to_integral_value():
        raise table.error(f"{value!r} is not a whole count", row=line, column=column)
    if number < 0:
        raise table.error(f"{value!r} is negative; counts cannot be", row=line, column=column)
    if number > INT64_MAX:
        raise table.error(f"{_excerpt(value)!r} is too large for a count", row=line, column=column)
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


def _fits(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _example(fmt: str) -> str:
    return datetime(2026, 11, 25, 14, 30).strftime(fmt.replace("%z", "+0000"))


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
        header = next((h for h in table.header if normalise(h) == column), column)
        best = max(DATETIME_FORMATS, key=lambda f: sum(_fits(v, f) for v in values))
        line, sample = next((n, r[column]) for n, r in table.rows if r.get(column) and not _fits(r[column], best))
        readable = any(_fits(sample, f) for f in DATETIME_FORMATS)
        raise table.error(
            f"{_excerpt(sample)!r} is not written like the column's other dates ({_example(best)})"
            if readable
            else f"unrecognised date/time {_excerpt(sample)!r} (expected e.g. {_example(best)})",
            row=line,
            column=header,
        )
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
