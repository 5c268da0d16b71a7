"""Meta Business Suite content export for an Instagram professional account.

Same UI as the Facebook export (Insights -> Content -> Export, reference §7.2) and the
same reading (`_mbs_common`): one row per post with its lifetime metrics as of the
download, English or French headers, month-first or day-first publish times in the
region's time zone. Rows land as the Instagram API connector's entities, `media` and
`media_insights` (one row per metric, the API's metric names), marked
`_source = csv`, so the Instagram staging models read them unchanged; the export
date (`--as-of`) is their snapshot date.

* The account is the row's `Account ID` (the IG user id of config/accounts.yml).
  config/accounts.yml holds no usernames, so `Account username` cannot name an
  account by itself: a file without `Account ID` needs `--account`, and then all
  its rows must carry one username. With `--account`, a row of another account is
  refused.
* `Post type` (IG image / carousel / reel / video / story, English or French) gives
  the API's media_type and media_product_type; an unknown type is refused rather
  than landed as a guess. A story's media_type (image or video) is not in the
  export: NULL.
* A metric whose column the export lacks lands no row (the staging pivot reads it
  as NULL); a blank cell (Meta blanks small values) lands NULL: never 0.
* Older exports say `Impressions` instead of `Views`: it lands as the API's former
  `impressions` metric, not as `views` (reference §8.3: a metric change is a break
  in the series, not an alias). `Plays` of older Reels exports lands as `plays`.
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
from socialpulse.imports.reader import ImportFileError, SeenRows, Table

PLATFORM = "instagram"
SOURCE = "csv"

COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    # field: (accepted headers, required)
    "post_id": (("Post ID", "Identifiant de la publication", "ID de la publication"), True),
    "account_id": (("Account ID", "Identifiant du compte", "ID du compte"), False),
    "username": (("Account username", "Nom d'utilisateur du compte", "Nom d’utilisateur du compte"), False),
    "publish_time": (("Publish time", "Heure de publication", "Date de publication"), True),
    "permalink": (("Permalink", "Lien permanent"), True),
    "description": (("Description", "Caption", "Légende"), False),
    "post_type": (("Post type", "Type de publication"), False),
    "views": (("Views", "Vues"), False),  # or the older "impressions": one of them is required
    "impressions": (("Impressions",), False),
    "reach": (("Reach", "Couverture", "Comptes touchés"), True),
    "likes": (("Likes", "J'aime", "J’aime", "Mentions J'aime", "Mentions J’aime"), True),
    "comments": (("Comments", "Commentaires"), True),
    "shares": (("Shares", "Partages"), True),
    "saves": (("Saves", "Enregistrements"), False),
    "follows": (("Follows", "Abonnements"), False),
    "plays": (("Plays", "Lectures"), False),
}

HEADER = tuple(alias for aliases, required in COLUMNS.values() if required for alias in aliases)
"""What the header row names: how `read_table` finds it, and the separator, whatever the rows hold."""

METRICS = (
    # (field, media insights metric as the API names it)
    ("views", "views"),
    ("impressions", "impressions"),
    ("reach", "reach"),
    ("likes", "likes"),
    ("comments", "comments"),
    ("shares", "shares"),
    ("saves", "saved"),
    ("follows", "follows"),
    ("plays", "plays"),
)

_IMAGE, _CAROUSEL, _REEL, _VIDEO, _STORY = (
    ("IMAGE", "FEED"),
    ("CAROUSEL_ALBUM", "FEED"),
    ("VIDEO", "REELS"),
    ("VIDEO", "FEED"),
    (None, "STORY"),
)
POST_TYPES: dict[str, tuple[str | None, str]] = {
    # UI word -> (media_type, media_product_type); "IG"/"Instagram" are ignored
    **dict.fromkeys(("image", "images", "photo", "photos"), _IMAGE),
    **dict.fromkeys(("carousel", "carousels", "carrousel", "carrousels", "album", "carousel album"), _CAROUSEL),
    **dict.fromkeys(("reel", "reels"), _REEL),
    **dict.fromkeys(("video", "videos", "vidéo", "vidéos"), _VIDEO),
    **dict.fromkeys(("story", "stories", "storys"), _STORY),
}
_TYPES = PostTypes(POST_TYPES, ignore=("ig", "instagram"))


def parse(table: Table, config: AccountsConfig, as_of: date, account: str | None = None) -> Parsed:
    export = Export(table, COLUMNS, config, as_of)
    if not export.has("views") and not export.has("impressions"):
        raise ImportFileError(
            table.path,
            "required column 'Views' is missing (accepted headers: Views, Vues, or Impressions in older exports; "
            f"found: {', '.join(table.header)})",
            row=table.header_row,
            column="Views",
        )
    accounts = AccountMatcher(export, PLATFORM, account)
    if not export.has("account_id") and account is None:
        raise ImportFileError(
            table.path,
            "required column 'Account ID' is missing: without it, name the account with --account "
            f"(accepted headers: {', '.join(COLUMNS['account_id'][0])}; found: {', '.join(table.header)})",
            row=table.header_row,
            column="Account ID",
        )
    fetched_at = snapshot_time(as_of)
    first_username: str | None = None  # rows without an id: one account, so one username
    out: dict[str, dict[str, dict]] = {}
    seen = SeenRows(table)

    for line, row in table.rows:
        if export.has("account_id"):
            ig_account = accounts.by_platform_id(line, export.value(row, "account_id"), "account_id")
        else:
            ig_account = accounts.fixed()
            username = export.value(row, "username")
            first_username = first_username or username or None
            if username and username != first_username:
                raise export.error(
                    f"{username!r} after {first_username!r}: without 'Account ID', every row must be "
                    f"the --account {account!r}",
                    line,
                    "username",
                )
        media_id = export.value(row, "post_id")
        if not (media_id.isascii() and media_id.isdigit()):
            raise export.error(f"{media_id!r} is not an Instagram media id (digits only)", line, "post_id")
        if seen.repeated(media_id, line, row):
            continue
        raw_type = export.value(row, "post_type")
        types = _TYPES.get(raw_type) if raw_type else (None, None)
        if types is None:
            raise export.error(f"unknown post type {raw_type!r} (known: {_TYPES.known()})", line, "post_type")
        media_type, product_type = types
        counts = {field: export.count(line, row, field) for field, _ in METRICS}
        published = export.published(line, row, "publish_time")

        ig_user_id = ig_account.account_id
        entities = out.setdefault(ig_account.key, {"media": {}, "media_insights": {}})
        entities["media"][media_id] = {
            "media_id": media_id,
            "ig_user_id": ig_user_id,
            "caption": export.text(row, "description"),
            "media_type": media_type,
            "media_product_type": product_type,
            "permalink": export.value(row, "permalink") or None,
            "timestamp": published,
            "like_count": counts["likes"],
            "comments_count": counts["comments"],
            "fetched_at": fetched_at,
        }
        for field, metric in METRICS:
            if not export.has(field):
                continue  # not in this export: no row, read as NULL downstream
            entities["media_insights"][(media_id, metric)] = {
                "media_id": media_id,
                "ig_user_id": ig_user_id,
                "media_product_type": product_type,
                "metric": metric,
                "period": "lifetime",
                "value": counts[field],
                "fetched_at": fetched_at,
            }
    return Parsed(by_account=by_account_lists(out), rows_read=len(table.rows))


KEYS = {"media": ("media_id",), "media_insights": ("media_id", "metric", "period")}


def describe(path: Path) -> str:
    return f"Meta Business Suite Instagram content export {path.name}"
