"""Meta Business Suite content export for a Facebook Page (Insights -> Content -> Export).

One row per post with its lifetime metrics as of the export. Header names vary with
the UI language and over time, so each field accepts several headers (matched with
case, accents and punctuation folded). Rows land as the Facebook API entities
`posts` and `post_insights`, marked `_source = csv`, so the same dbt models read
them; the export date (`--as-of`) is their snapshot date. What the Instagram export
shares with this one (reading, dates, accounts) lives in `_mbs_common`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from socialpulse.config import AccountsConfig
from socialpulse.imports._mbs_common import (
    AccountMatcher,
    Export,
    Parsed,
    PostTypes,
    by_account_lists,
    snapshot_time,
)
from socialpulse.imports.reader import SeenRows, Table

__all__ = [
    "COLUMNS",
    "HEADER",
    "KEYS",
    "PLATFORM",
    "POST_TYPES",
    "SOURCE",
    "Parsed",
    "describe",
    "normalise_type",
    "parse",
]

PLATFORM = "facebook"
SOURCE = "csv"

COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    # field: (accepted headers, required)
    "post_id": (("Post ID", "Identifiant de la publication", "ID de la publication"), True),
    "page_id": (("Page ID", "Identifiant de la Page", "ID de la Page"), True),
    "publish_time": (("Publish time", "Heure de publication", "Date de publication"), True),
    "permalink": (("Permalink", "Lien permanent"), True),
    "description": (("Description", "Message"), False),
    "title": (("Title", "Titre"), False),
    "post_type": (("Post type", "Type de publication"), False),
    "views": (("Views", "Impressions", "Vues"), True),
    "reach": (("Reach", "Couverture"), True),
    "reactions": (("Reactions", "Réactions"), True),
    "comments": (("Comments", "Commentaires"), True),
    "shares": (("Shares", "Partages"), True),
    "clicks": (("Total clicks", "Clics au total", "Clicks"), False),
    "views_organic": (("Organic post views", "Vues organiques"), False),
    "views_paid": (("Views of promoted posts", "Vues des publications sponsorisées"), False),
}

HEADER = tuple(alias for aliases, required in COLUMNS.values() if required for alias in aliases)
"""What the header row names: how `read_table` finds it, and the separator, whatever the rows hold."""

POST_TYPES = {
    "photo": "added_photos",
    "photos": "added_photos",
    "image": "added_photos",
    "video": "added_video",
    "videos": "added_video",
    "reel": "added_video",
    "reels": "added_video",
    "link": "shared_story",
    "links": "shared_story",
    "lien": "shared_story",
    "liens": "shared_story",
    "text": "mobile_status_update",
    "status": "mobile_status_update",
    "texte": "mobile_status_update",
}
_TYPES = PostTypes(POST_TYPES, ignore=("fb", "facebook"))


def parse(table: Table, config: AccountsConfig, as_of: date, account: str | None = None) -> Parsed:
    export = Export(table, COLUMNS, config, as_of)
    pages = AccountMatcher(export, PLATFORM, account)
    fetched_at = snapshot_time(as_of)
    out: dict[str, dict[str, dict]] = {}
    seen = SeenRows(table)

    for line, row in table.rows:
        page_id = export.value(row, "page_id")
        page = pages.by_platform_id(line, page_id, "page_id")
        raw_id = export.value(row, "post_id")
        if not (raw_id.isascii() and raw_id.replace("_", "").isdigit()):
            raise export.error(f"{raw_id!r} is not a post id", line, "post_id")
        post_id = raw_id if "_" in raw_id else f"{page_id}_{raw_id}"
        if seen.repeated(post_id, line, row):
            continue

        def count(field: str, line: int = line, row: dict = row) -> int | None:
            return export.count(line, row, field)

        created = export.published(line, row, "publish_time")
        entities = out.setdefault(page.key, {"posts": {}, "post_insights": {}})
        entities["posts"][post_id] = {
            "post_id": post_id,
            "page_id": page_id,
            "message": export.text(row, "description", "title"),
            "created_time": created,
            "permalink_url": export.value(row, "permalink") or None,
            "status_type": normalise_type(export.value(row, "post_type")),
            "shares_count": count("shares") or 0,
            "comments_total_count": count("comments"),
            "fetched_at": fetched_at,
        }
        metrics = [
            ("post_media_view", "", "", count("views")),
            ("post_total_media_view_unique", "", "", count("reach")),
            ("post_reactions_total", "", "", count("reactions")),
            ("post_clicks", "", "", count("clicks")),
            ("post_media_view", "is_from_ads", "true", count("views_paid")),
            ("post_media_view", "is_from_ads", "false", count("views_organic")),
        ]
        for metric, breakdown, bvalue, value in metrics:
            if value is None and breakdown:
                continue  # the export has no paid/organic split
            entities["post_insights"][(post_id, metric, breakdown, bvalue)] = {
                "post_id": post_id,
                "page_id": page_id,
                "metric": metric,
                "period": "lifetime",
                "breakdown": breakdown,
                "breakdown_value": bvalue,
                "value": value,
                "fetched_at": fetched_at,
            }
    return Parsed(by_account=by_account_lists(out), rows_read=len(table.rows))


def normalise_type(value: str) -> str | None:
    """The Graph API's status_type for the UI's post type; an unknown type is kept as written."""
    return _TYPES.get(value) or value.strip() or None


KEYS = {"posts": ("post_id",), "post_insights": ("post_id", "metric", "breakdown", "breakdown_value")}


def describe(path: Path) -> str:
    return f"Meta Business Suite content export {path.name}"
