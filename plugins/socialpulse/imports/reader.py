"""A tolerant reader for analytics exports opened and saved by people (often in Excel)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

ENCODINGS = ("utf-8-sig", "cp1252")
SEPARATORS = (",", ";", "\t")
EMPTY = {"", "-", "--", "n/a", "na", "null"}


class ImportFileError(ValueError):
    """A file that cannot be imported; the message names the file, row and column."""

    def __init__(self, path: Path | str, message: str, *, row: int | None = None, column: str | None = None):
        where = str(path) + (f", row {row}" if row is not None else "") + (f", column {column!r}" if column else "")
        super().__init__(f"{where}: {message}")
        self.path, self.row, self.column = str(path), row, column


@dataclass
class Table:
    path: Path
    encoding: str
    separator: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number in the file, values by header)

    @property
    def decimal_comma(self) -> bool:
        """French Excel writes `;`-separated files with decimal commas."""
        return self.separator == ";"


def normalise(name: str) -> str:
    """Header key: case, accents, spaces and punctuation folded ('Publish time' = 'publish_time')."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def read_table(path: Path) -> Table:
    raw = path.read_bytes()
    if not raw.strip():
        raise ImportFileError(path, "the file is empty")
    text, encoding = None, None
    for enc in ENCODINGS:
        try:
            text, encoding = raw.decode(enc), enc
            break
        except UnicodeDecodeError:
            continue
    if text is None:  # cp1252 decodes almost anything; this is for the rest
        raise ImportFileError(path, "not UTF-8 nor Windows-1252 text")
    first_line = text.splitlines()[0]
    separator = max(SEPARATORS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        lines = list(reader)
    except csv.Error as exc:
        raise ImportFileError(path, f"not a readable CSV file ({exc})") from exc
    header = [h.strip() for h in lines[0]]
    keys = [normalise(h) for h in header]
    rows = []
    line = 1
    for values in lines[1:]:
        line += 1
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(keys):
            extra = values[len(keys) :]
            if any(v.strip() for v in extra):
                raise ImportFileError(path, f"{len(values)} values for {len(keys)} columns", row=line)
        rows.append((line, {k: (values[i].strip() if i < len(values) else "") for i, k in enumerate(keys)}))
    return Table(path=path, encoding=encoding, separator=separator, header=header, rows=rows)


def find_column(table: Table, aliases: Iterable[str], *, required: bool, label: str) -> str | None:
    """The normalised key of the first header matching one of `aliases`."""
    present = {normalise(h) for h in table.header}
    for alias in aliases:
        if normalise(alias) in present:
            return normalise(alias)
    if required:
        raise ImportFileError(
            table.path,
            f"required column {label!r} is missing (accepted headers: {', '.join(aliases)}; "
            f"found: {', '.join(table.header)})",
            column=label,
        )
    return None


def parse_int(table: Table, line: int, column: str, value: str) -> int | None:
    """Counts as written by exports and spreadsheets: '1234', '1 234', '1,234', '3423.0', '1234,0'."""
    text = value.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if text.lower() in EMPTY:
        return None
    text = text.replace(" ", "")
    if table.decimal_comma:
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ImportFileError(table.path, f"{value!r} is not a number", row=line, column=column) from None
    if number != number.to_integral_value():
        raise ImportFileError(table.path, f"{value!r} is not a whole count", row=line, column=column)
    if number < 0:
        raise ImportFileError(table.path, f"{value!r} is negative; counts cannot be", row=line, column=column)
    return int(number)


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
)


def datetime_format(table: Table, column: str) -> str:
    """The one format that reads every value of the column.

    Month-first and day-first are told apart by the values themselves; when both
    read every value (all days <= 12), `;`-separated files (French Excel) are
    taken as day-first and the others as month-first (Meta's and X's default).
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
        raise ImportFileError(table.path, f"unrecognised date/time {sample!r}", column=header)
    if len(fitting) > 1 and {"%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M"} <= set(fitting):
        return "%d/%m/%Y %H:%M" if table.decimal_comma else "%m/%d/%Y %H:%M"
    return fitting[0]


def parse_datetime(table: Table, line: int, column: str, value: str, fmt: str, timezone: str) -> datetime:
    """A UTC timestamp; values without an offset are local times of `timezone` (the
    account's, as the analytics UIs display them)."""
    try:
        parsed = datetime.strptime(value.strip(), fmt)
    except ValueError:
        raise ImportFileError(table.path, f"{value!r} is not a date/time", row=line, column=column) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return parsed.astimezone(UTC)
