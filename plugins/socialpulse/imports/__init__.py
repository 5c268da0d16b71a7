"""Hand-downloaded analytics exports (CSV or XLSX) -> the same landing zone as the API.

For institutions without API access. One module per export format; all share the
tolerant reader in `reader.py` (CSV or XLSX told apart by content; UTF-16, UTF-8
with or without BOM, Windows-1252, `,` `;` or tab separators, decimal commas, quoted
newlines, extra columns, title rows above the header). A module may declare its
`HEADER` (column names, to find the header row) and `SHEETS` (workbook sheets). A file is parsed and
validated completely before anything is written; a missing required column, an
unknown account or an unreadable value stops the import with a message naming the
file, the row and the column.
"""

from __future__ import annotations

import importlib
from types import ModuleType

FORMATS: dict[str, str] = {
    "facebook": "socialpulse.imports.meta_business_suite",
    "instagram": "socialpulse.imports.instagram_content",
    "linkedin": "socialpulse.imports.linkedin_content",
    "x": "socialpulse.imports.x_tweet_activity",
}


def importer(platform: str) -> ModuleType:
    try:
        return importlib.import_module(FORMATS[platform])
    except KeyError:
        raise NotImplementedError(f"no CSV import for {platform} yet (known: {', '.join(sorted(FORMATS))})") from None
