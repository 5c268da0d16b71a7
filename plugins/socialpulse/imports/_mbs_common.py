"""What the Meta Business Suite content exports share, for a Facebook Page or an Instagram account.

Both come from the same UI (Insights -> Content -> Export): one row per post with its
lifetime metrics as of the download, headers that change with the UI language and
over time, publish times in the account's local time written month-first (English
UI) or day-first (French Excel), and a `Post type` column in the UI's words. The
per-platform modules hold the column maps and the landing rows; this module holds the
reading: which header a field came from, counts, publish times, the account a row
belongs to, and the post-type vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from socialpulse.config import Account, AccountsConfig
from socialpulse.imports.reader import (
    ImportFileError,
    Table,
    datetime_format,
    find_column,
    normalise,
    parse_datetime,
    parse_int,
)

Columns = Mapping[str, tuple[tuple[str, ...], bool]]
"""field -> (accepted headers, English first; required)."""

T = TypeVar("T")


@dataclass
class Parsed:
    """Rows per account key, per landing entity, ready to land."""

    by_account: dict[str, dict[str, list[dict]]]
    rows_read: int


def snapshot_time(as_of: date) -> datetime:
    """`fetched_at` of imported rows: the end of the export day (UTC), the moment its
    lifetime values are taken to describe."""
    return datetime.combine(as_of, time.max, ZoneInfo("UTC")).replace(microsecond=0)


class Export:
    """One export read against a platform's column map.

    Errors name the header as it is written in the file (a French file's user reads
    'Vues', not 'Views'); a missing column is named by its English header and the
    message lists every accepted one.
    """

    def __init__(self, table: Table, columns: Columns, config: AccountsConfig, as_of: date):
        self.table, self.columns, self.config, self.as_of = table, columns, config, as_of
        self.keys = {
            field: find_column(table, aliases, required=required, label=aliases[0])
            for field, (aliases, required) in columns.items()
        }
        self._formats: dict[str, str] = {}

    def has(self, field: str) -> bool:
        return self.keys[field] is not None

    def header(self, field: str) -> str:
        key = self.keys[field]
        written = next((h for h in self.table.header if key is not None and normalise(h) == key), None)
        return written or self.columns[field][0][0]

    def error(self, message: str, line: int | None = None, field: str | None = None) -> ImportFileError:
        return ImportFileError(self.table.path, message, row=line, column=self.header(field) if field else None)

    def value(self, row: dict[str, str], field: str) -> str:
        """The cell's text, '' when the column is absent."""
        key = self.keys[field]
        return "" if key is None else row.get(key, "")

    def text(self, row: dict[str, str], *fields: str) -> str | None:
        """The first non-empty cell of `fields`, else None."""
        return next((v for v in (self.value(row, f) for f in fields) if v), None)

    def count(self, line: int, row: dict[str, str], field: str) -> int | None:
        """A count; None when the column is absent or the cell blank (Meta blanks values
        under its privacy thresholds): an unknown value, never 0."""
        key = self.keys[field]
        return None if key is None else parse_int(self.table, line, self.header(field), row[key])

    def published(self, line: int, row: dict[str, str], field: str) -> datetime:
        """A publish time as UTC; local times are the region's (as the UI shows them). A
        post published after the export day means a wrong `--as-of` or a wrong file."""
        key = self.keys[field]
        if key is None:
            raise self.error("no publish time column", line, field)
        if field not in self._formats:
            self._formats[field] = datetime_format(self.table, key)
        moment = parse_datetime(
            self.table, line, self.header(field), row[key], self._formats[field], self.config.timezone
        )
        if moment.date() > self.as_of:
            raise self.error(f"published {moment:%Y-%m-%d}, after the export date {self.as_of}", line, field)
        return moment


class AccountMatcher:
    """The configured account a row names, optionally restricted to one `--account`."""

    def __init__(self, export: Export, platform: str, only: str | None):
        self.export, self.platform, self.only = export, platform, only
        accounts = export.config.for_platform(platform)
        if only is not None and only not in {a.key for a in accounts}:
            raise ImportFileError(
                export.table.path,
                f"--account {only!r} is not {_a(platform)} account of config/accounts.yml "
                f"(known: {', '.join(a.key for a in accounts) or 'none'})",
            )
        self.by_id = {a.account_id: a for a in accounts}
        self.by_key = {a.key: a for a in accounts}

    def fixed(self) -> Account:
        """The `--account`, for exports whose rows do not name their account."""
        if self.only is None:
            raise ImportFileError(self.export.table.path, f"the rows name no {self.platform} account: pass --account")
        return self.by_key[self.only]

    def by_platform_id(self, line: int, value: str, field: str) -> Account:
        account = self.by_id.get(value)
        if account is None:
            raise self.export.error(
                f"{self.export.header(field)} {value!r} is not {_a(self.platform)} account of config/accounts.yml",
                line,
                field,
            )
        if self.only is not None and account.key != self.only:
            raise self.export.error(
                f"{self.export.header(field)} {value!r} is account {account.key!r}, not --account {self.only!r}; "
                "import each account's rows without --account or from its own export",
                line,
                field,
            )
        return account


def _a(platform: str) -> str:
    return f"an {platform}" if platform[0] in "aeiou" else f"a {platform}"


def fold_type(value: str, *, ignore: tuple[str, ...] = ()) -> str:
    """A post type's lookup key: case, accents and punctuation folded, plus the words in
    `ignore` dropped ('IG reel', 'Reel IG' and 'reel' are all 'reel')."""
    return "_".join(word for word in normalise(value).split("_") if word and word not in ignore)


class PostTypes(Generic[T]):
    """The UI's post-type words (English and French, singular and plural) -> a platform's type."""

    def __init__(self, mapping: Mapping[str, T], *, ignore: tuple[str, ...] = ()):
        self.ignore = ignore
        self.mapping = {fold_type(k, ignore=ignore): v for k, v in mapping.items()}

    def get(self, value: str) -> T | None:
        return self.mapping.get(fold_type(value, ignore=self.ignore))

    def known(self) -> str:
        return ", ".join(sorted(self.mapping))


def by_account_lists(out: dict[str, dict[str, dict]]) -> dict[str, dict[str, list[dict]]]:
    """Rows keyed per entity (a post twice in one file: the later row wins) -> lists."""
    return {key: {entity: list(rows.values()) for entity, rows in entities.items()} for key, entities in out.items()}
