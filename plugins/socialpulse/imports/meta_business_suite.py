"""Meta Business Suite content export for a Facebook Page (Insights -> Content -> Export).

One row per post with its lifetime metrics as of the export. Header names vary with
the UI language and over time, so each field accepts several headers (matched with
case, accents and punctuation folded). Rows land as the Facebook API entities
`posts` and `post_insights`, marked `_source = csv`, so the same dbt models read
them; the export date (`--as-of`) is their snapshot date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from socialpulse.config import AccountsConfig
from socialpulse.imports.reader import (
    ImportFileError,
    Table,
    datetime_format,
    find_column,
    parse_datetime,
    parse_int,
)

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


@dataclass
class Parsed:
    """Rows per account key, per landing entity, ready to land."""

    by_account: dict[str, dict[str, list[dict]]]
    rows_read: int


def parse(table: Table, config: AccountsConfig, as_of: date, account: str | None = None) -> Parsed:
    cols = {f: find_column(table, aliases, required=req, label=aliases[0]) for f, (aliases, req) in COLUMNS.items()}
    fmt = datetime_format(table, cols["publish_time"])
    pages = {a.account_id: a for a in config.for_platform(PLATFORM) if account is None or a.key == account}
    fetched_at = datetime.combine(as_of, time.max, ZoneInfo("UTC")).replace(microsecond=0)
    out: dict[str, dict[str, dict[str, dict]]] = {}

    for line, row in table.rows:
        page_id = row[cols["page_id"]]
        account = pages.get(page_id)
        if account is None:
            raise ImportFileError(
                table.path,
                f"Page ID {page_id!r} is not a facebook account of config/accounts.yml",
                row=line,
                column=COLUMNS["page_id"][0][0],
            )
        raw_id = row[cols["post_id"]]
        if not raw_id.isdigit() and not raw_id.replace("_", "").isdigit():
            raise ImportFileError(table.path, f"{raw_id!r} is not a post id", row=line, column="Post ID")
        post_id = raw_id if "_" in raw_id else f"{page_id}_{raw_id}"

        def count(field: str, line: int = line, row: dict = row) -> int | None:
            key = cols[field]
            return None if key is None else parse_int(table, line, COLUMNS[field][0][0], row[key])

        created = parse_datetime(
            table, line, COLUMNS["publish_time"][0][0], row[cols["publish_time"]], fmt, config.timezone
        )
        if created.date() > as_of:
            raise ImportFileError(
                table.path,
                f"published {created:%Y-%m-%d}, after the export date {as_of}",
                row=line,
                column=COLUMNS["publish_time"][0][0],
            )
        text = row.get(cols["description"] or "", "") or row.get(cols["title"] or "", "") or None
        post_type = normalise_type(row.get(cols["post_type"] or "", ""))
        entities = out.setdefault(account.key, {"posts": {}, "post_insights": {}})
        entities["posts"][post_id] = {
            "post_id": post_id,
            "page_id": page_id,
            "message": text,
            "created_time": created,
            "permalink_url": row[cols["permalink"]] or None,
            "status_type": post_type,
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
    return Parsed(
        by_account={k: {e: list(rows.values()) for e, rows in ents.items()} for k, ents in out.items()},
        rows_read=len(table.rows),
    )


def normalise_type(value: str) -> str | None:
    return POST_TYPES.get(value.strip().lower(), value.strip() or None)


KEYS = {"posts": ("post_id",), "post_insights": ("post_id", "metric", "breakdown", "breakdown_value")}


def describe(path: Path) -> str:
    return f"Meta Business Suite content export {path.name}"
