"""LinkedIn Page content export (Page admin view -> Analytics -> Content -> Export).

The workbook's `All posts` sheet has one row per post with its lifetime metrics as of
the download, after a description row (reference §7.3); it also reads as CSV when
someone saved that sheet from Excel (English or French headers). Rows land as the
LinkedIn API connector's entities, `posts` and `post_statistics`, marked
`_source = csv`, so the LinkedIn staging models read them unchanged; the export date
(`--as-of`) is their snapshot date.

* The export does not name its organization: `--account` (a LinkedIn key of
  config/accounts.yml) is required, and every row is that Page's.
* `Post link` carries the post's URN; the post id is the URN the API lands
  (`urn:li:share:{id}` or `urn:li:ugcPost:{id}`) and the permalink is rebuilt the
  connector's way, so an imported post and the API's are one post. A link to an
  `urn:li:activity:` is refused: that id matches nothing the API lands.
* The API's share statistics are organic only. Rows whose `Post type` is Sponsored
  (a campaign's paid delivery) are skipped: their numbers have no column in these
  entities. Organic rows give impressions, clicks, likes (all reactions), comments,
  reposts and the engagement rate as the export states it. What the export lacks (unique impressions,
  reactions by type, the comment summary) lands NULL, never 0.
* `Created date` is the Page's local time (config timezone); an export written with
  dates alone lands local midnight (the right `published_date`, an unknown hour).
* `Content Type` gives the API's media type (image, video, article, none, ...); an
  unknown word is refused rather than guessed, and a file without the column lands
  `unknown` (staging format `other`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from socialpulse.config import Account, AccountsConfig, ConfigError
from socialpulse.imports.reader import (
    ImportFileError,
    SeenRows,
    Table,
    datetime_format,
    find_column,
    normalise,
    parse_datetime,
    parse_int,
    parse_ratio,
)

PLATFORM = "linkedin"
SOURCE = "csv"

SHEETS = ("All posts", "Toutes les publications", "Update metrics (individual)")
"""The per-post sheet of the content workbook (its first sheet is the daily `Metrics`)."""

COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    # field: (accepted headers, English first; required)
    "link": (("Post link", "Update link", "Lien de la publication", "Lien du post"), True),
    "title": (("Post title", "Update title", "Titre de la publication", "Titre du post"), False),
    "post_type": (("Post type", "Update type", "Type de publication"), False),
    "created": (("Created date", "Date de création", "Date de publication"), True),
    "impressions": (("Impressions",), True),
    "clicks": (("Clicks", "Clics"), True),
    "likes": (("Likes", "Reactions", "Réactions", "J'aime"), True),
    "comments": (("Comments", "Commentaires"), True),
    "reposts": (("Reposts", "Shares", "Republications", "Partages"), True),
    "engagement_rate": (("Engagement rate", "Taux d'engagement"), False),
    "content_type": (("Content Type", "Type de contenu"), False),
}

HEADER = tuple(alias for aliases, required in COLUMNS.values() if required for alias in aliases)
"""What the header row names: how `read_table` finds it below the description row."""

POST_TYPES = {"organic": False, "organique": False, "sponsored": True, "sponsorise": True, "sponsorisee": True}
"""Post type -> is the paid delivery of a campaign."""

MEDIA_TYPES = {
    "image": "image",
    "images": "image",
    "photo": "image",
    "photos": "image",
    "multi_image": "image",
    "video": "video",
    "videos": "video",
    "article": "article",
    "articles": "article",
    "link": "article",
    "lien": "article",
    "text": "none",
    "texte": "none",
    "text_only": "none",
    "document": "document",
    "poll": "poll",
    "sondage": "poll",
    "event": "event",
    "evenement": "event",
}

KEYS = {"posts": ("post_urn",), "post_statistics": ("post_urn",)}

_POST_URN = re.compile(r"urn:li:(share|ugcpost|activity):(\d+)", re.IGNORECASE)


@dataclass
class Parsed:
    """Rows per account key, per landing entity, ready to land."""

    by_account: dict[str, dict[str, list[dict]]]
    rows_read: int


def parse(table: Table, config: AccountsConfig, as_of: date, account: str | None = None) -> Parsed:
    organization = _organization(table, config, account)
    cols = {f: find_column(table, aliases, required=req, label=aliases[0]) for f, (aliases, req) in COLUMNS.items()}

    def header(field: str) -> str:
        """The column as the file writes it (a French file's user reads 'Clics')."""
        key = cols[field]
        return next((h for h in table.header if key is not None and normalise(h) == key), COLUMNS[field][0][0])

    def cell(row: dict[str, str], field: str) -> str:
        key = cols[field]
        return "" if key is None else row[key]

    def count(line: int, row: dict[str, str], field: str) -> int | None:
        return parse_int(table, line, header(field), cell(row, field))

    fmt = datetime_format(table, cols["created"] or "")
    fetched_at = datetime.combine(as_of, time.max, ZoneInfo("UTC")).replace(microsecond=0)
    posts: dict[str, dict] = {}
    statistics: dict[str, dict] = {}
    seen = SeenRows(table)

    for line, row in table.rows:
        if _is_sponsored(table, line, header("post_type"), cell(row, "post_type")):
            continue
        urn = post_urn(table, line, header("link"), cell(row, "link"))
        if seen.repeated(urn, line, row):
            continue
        created = parse_datetime(table, line, header("created"), cell(row, "created"), fmt, config.timezone)
        if created.date() > as_of:
            raise table.error(
                f"created {created:%Y-%m-%d}, after the export date {as_of}", row=line, column=header("created")
            )
        posts[urn] = {
            "post_urn": urn,
            "organization_id": organization.account_id,
            "commentary": cell(row, "title") or None,
            "media_type": _media_type(table, line, header("content_type"), cell(row, "content_type")),
            "article_url": None,
            "visibility": None,
            "lifecycle_state": None,
            "permalink_url": f"https://www.linkedin.com/feed/update/{urn}/",
            "created_at": created,
            "published_at": None,
            "last_modified_at": None,
            "fetched_at": fetched_at,
        }
        statistics[urn] = {
            "post_urn": urn,
            "organization_id": organization.account_id,
            "impression_count": count(line, row, "impressions"),
            "unique_impressions_count": None,
            "click_count": count(line, row, "clicks"),
            "like_count": count(line, row, "likes"),
            "comment_count": count(line, row, "comments"),
            "share_count": count(line, row, "reposts"),
            "engagement": parse_ratio(table, line, header("engagement_rate"), cell(row, "engagement_rate")),
            "fetched_at": fetched_at,
        }
    landed = {"posts": list(posts.values()), "post_statistics": list(statistics.values())} if posts else {}
    return Parsed(by_account={organization.key: landed} if landed else {}, rows_read=len(table.rows))


def _organization(table: Table, config: AccountsConfig, key: str | None) -> Account:
    """The `--account` Page. Checked before the rows, and named without a sheet: it is the
    command line that is wrong, not a cell."""
    pages = config.for_platform(PLATFORM)
    known = ", ".join(a.key for a in pages) or "none configured"
    if key is None:
        raise ImportFileError(
            table.path,
            "a LinkedIn Page export does not name its organization: pass --account with the Page's key "
            f"of config/accounts.yml (LinkedIn accounts: {known})",
        )
    try:
        chosen = config.account(key)
    except ConfigError:
        raise ImportFileError(
            table.path, f"--account {key!r} is not in config/accounts.yml (LinkedIn accounts: {known})"
        ) from None
    if chosen.platform != PLATFORM:
        raise ImportFileError(
            table.path,
            f"--account {key!r} is a {chosen.platform} account, not a LinkedIn Page (LinkedIn accounts: {known})",
        )
    return chosen


def post_urn(table: Table, line: int, column: str, link: str) -> str:
    """The post URN the API lands, from a `Post link` (a feed URL or the URN itself)."""
    found = _POST_URN.search(unquote(link.strip()))
    if found is None:
        raise table.error(
            f"{link!r} is not a LinkedIn post link (…/feed/update/urn:li:share:<id>/ or urn:li:ugcPost:<id>)",
            row=line,
            column=column,
        )
    kind, number = found.group(1).lower(), found.group(2)
    if kind == "activity":
        raise table.error(
            f"{link!r} links to an activity URN, which matches no post id of the LinkedIn API "
            "(urn:li:share:<id> or urn:li:ugcPost:<id>); the post cannot be imported",
            row=line,
            column=column,
        )
    return f"urn:li:{'share' if kind == 'share' else 'ugcPost'}:{number}"


def _is_sponsored(table: Table, line: int, column: str, value: str) -> bool:
    if not value.strip():
        return False  # no Post type: a page's own (organic) post
    kind = POST_TYPES.get(normalise(value))
    if kind is None:
        raise table.error(
            f"unknown post type {value!r} (known: Organic, Sponsored, Organique, Sponsorisé)", row=line, column=column
        )
    return kind


def _media_type(table: Table, line: int, column: str, value: str) -> str:
    if not value.strip():  # no Content Type column, or a blank cell
        return "unknown"
    media = MEDIA_TYPES.get(normalise(value))
    if media is None:
        raise table.error(
            f"unknown content type {value!r} (known: {', '.join(sorted(MEDIA_TYPES))})", row=line, column=column
        )
    return media


def describe(path: Path) -> str:
    return f"LinkedIn Page content export {path.name}"
