"""The files people download by hand from the platforms' analytics UIs, written
from the same world as the APIs, so that imports can be reconciled with truth.

`dialect="en"`: UTF-8 with a BOM, `,` separators, month-first dates (Meta's default).
`dialect="fr"`: what French Excel saves: Windows-1252, `;` separators, French
headers, day-first dates and non-breaking-space thousands separators.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sandbox import region
from sandbox.platforms import PLATFORMS
from sandbox.world import World

PARIS = ZoneInfo("Europe/Paris")

_MBS_HEADERS = {
    "en": [
        "Post ID",
        "Page ID",
        "Page name",
        "Title",
        "Description",
        "Duration (sec)",
        "Publish time",
        "Permalink",
        "Post type",
        "Views",
        "Reach",
        "Reactions, comments and shares",
        "Reactions",
        "Comments",
        "Shares",
        "Total clicks",
        "Organic post views",
        "Views of promoted posts",
    ],
    "fr": [
        "Identifiant de la publication",
        "Identifiant de la Page",
        "Nom de la Page",
        "Titre",
        "Description",
        "Durée (s)",
        "Heure de publication",
        "Lien permanent",
        "Type de publication",
        "Vues",
        "Couverture",
        "Réactions, commentaires et partages",
        "Réactions",
        "Commentaires",
        "Partages",
        "Clics au total",
        "Vues organiques",
        "Vues des publications sponsorisées",
    ],
}
_MBS_TYPES = {"photo": "Photos", "video": "Videos", "reel": "Reels", "link": "Links", "text": "Text"}


def _number(value: int, dialect: str) -> str:
    return f"{value:,}".replace(",", "\u00a0") if dialect == "fr" else str(value)


def facebook_content_export(seed: int, today: date, start: date, end: date, dialect: str = "en") -> bytes:
    """Meta Business Suite "Content" export of every region Page, metrics as of today - 1."""
    world = World(seed)
    as_of = today - timedelta(days=1)
    end = min(end, as_of)
    ids = PLATFORMS["facebook"]
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";" if dialect == "fr" else ",", lineterminator="\r\n")
    writer.writerow(_MBS_HEADERS[dialect])
    date_fmt = "%d/%m/%Y %H:%M" if dialect == "fr" else "%m/%d/%Y %H:%M"
    for account in region.accounts("facebook"):
        for post in world.posts_between(account, start, end):
            m = world.post_metrics(post, as_of)
            writer.writerow(
                [
                    str(post.serial),
                    account.account_id,
                    account.name,
                    "",
                    post.message or "",
                    "",
                    post.created_at.astimezone(PARIS).strftime(date_fmt),
                    ids.post_permalink(post),
                    _MBS_TYPES[post.format],
                    _number(m.views, dialect),
                    _number(m.viewers, dialect),
                    _number(m.reactions_total + m.comments + m.shares, dialect),
                    _number(m.reactions_total, dialect),
                    _number(m.comments, dialect),
                    _number(m.shares, dialect),
                    _number(m.clicks, dialect),
                    _number(m.views - m.views_paid, dialect),
                    _number(m.views_paid, dialect),
                ]
            )
    text = out.getvalue()
    return text.encode("cp1252", errors="replace") if dialect == "fr" else text.encode("utf-8-sig")


EXPORTS = {"facebook": facebook_content_export}
# other platforms' exports live in their own modules: sandbox/exports_<platform>.py
EXPORT_MODULES = {
    "instagram": "sandbox.exports_instagram",
    "linkedin": "sandbox.exports_linkedin",
    "x": "sandbox.exports_x",
}


def exporter(platform: str):
    """The function (seed, today, start, end, dialect) -> bytes writing a platform's export."""
    if platform in EXPORTS:
        return EXPORTS[platform]
    if platform not in EXPORT_MODULES:
        known = ", ".join(sorted([*EXPORTS, *EXPORT_MODULES]))
        raise KeyError(f"no export for {platform} (known: {known})")
    import importlib

    return importlib.import_module(EXPORT_MODULES[platform]).export
